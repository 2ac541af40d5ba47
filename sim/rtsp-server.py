#!/usr/bin/env python3
"""A live RTSP test camera for the simulated ONVIF camera (sim/onvif-camera.ts).

Serves a moving SMPTE test pattern with the clock drawn on it, H.264 over RTP
(RFC 6184 payload, pt 96), from GStreamer's RTSP server (GstRtspServer, through
python3-gi), on HOST:PORT/PATH. Prints exactly one line
    ready rtsp://HOST:PORT/PATH
on stdout once it listens, then runs until SIGTERM/SIGINT (or, with
--exit-on-stdin-eof, until its parent closes our stdin, so a crashed parent
leaves no orphan).

Debian packages: python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-base
(videotestsrc, videoconvert), gstreamer1.0-plugins-good (rtph264pay),
gstreamer1.0-plugins-ugly (x264enc), and gstreamer1.0-x for the clock overlay
(clockoverlay lives in the pango plugin; without it the pattern still moves but
shows no clock, and a note goes to stderr).

Exit codes: 0 stopped by a signal or stdin EOF; 2 bad arguments; 3 GStreamer or
its Python bindings missing; 4 could not listen.
"""

import argparse
import os
import signal
import sys

MISSING_PACKAGES = (
    "python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base "
    "gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly"
)


def fail(code, message):
    sys.stderr.write("rtsp-server: %s\n" % message)
    sys.stderr.flush()
    sys.exit(code)


try:
    import gi

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtspServer
except (ImportError, ValueError) as e:
    fail(3, "MISSING_GSTREAMER cannot load GStreamer RTSP server bindings (%s); "
            "install the Debian packages: %s" % (e, MISSING_PACKAGES))


def gst_quote(text):
    """A double-quoted string for a gst-launch description."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_launch(args):
    if Gst.ElementFactory.find("x264enc"):
        encoder = ("x264enc tune=zerolatency speed-preset=ultrafast bitrate=%d key-int-max=%d "
                   "! video/x-h264,profile=constrained-baseline" % (args.bitrate, args.fps))
    elif Gst.ElementFactory.find("openh264enc"):
        encoder = "openh264enc bitrate=%d gop-size=%d ! video/x-h264" % (args.bitrate * 1000, args.fps)
    else:
        fail(3, "MISSING_GSTREAMER no H.264 encoder (x264enc); install gstreamer1.0-plugins-ugly")
    for name in ("videotestsrc", "videoconvert", "rtph264pay"):
        if not Gst.ElementFactory.find(name):
            fail(3, "MISSING_GSTREAMER no %s element; install the Debian packages: %s" % (name, MISSING_PACKAGES))
    if Gst.ElementFactory.find("clockoverlay"):
        overlay = ("clockoverlay text=%s time-format=%s halignment=left valignment=top "
                   "shaded-background=true font-desc=%s ! " % (
                       gst_quote(args.title), gst_quote("%Y-%m-%d %H:%M:%S"),
                       gst_quote("Sans %d" % max(8, args.height // 24))))
    else:
        overlay = ""
        sys.stderr.write("rtsp-server: no clockoverlay element (Debian package gstreamer1.0-x): "
                         "serving the moving pattern without a clock\n")
    return (
        "( videotestsrc is-live=true pattern=smpte horizontal-speed=4 "
        "! video/x-raw,width=%d,height=%d,framerate=%d/1 "
        "! %svideoconvert ! %s "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )"
        % (args.width, args.height, args.fps, overlay, encoder)
    )


def main():
    parser = argparse.ArgumentParser(description="RTSP test pattern server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--path", default="/stream")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=15)
    parser.add_argument("--bitrate", type=int, default=800, help="kbit/s")
    parser.add_argument("--title", default="Pemda CCTV sim")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args()
    if not args.path.startswith("/") or len(args.path) < 2 or any(c.isspace() for c in args.path):
        fail(2, "--path must look like /stream")
    if not (0 <= args.port <= 65535) or args.width < 16 or args.height < 16 or args.fps < 1:
        fail(2, "bad --port/--width/--height/--fps")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(build_launch(args))
    # One pipeline per client: a shared media torn down while the next client joins
    # crashed the server under back-to-back grabs (1,000-grab soak).
    factory.set_shared(False)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        fail(4, "cannot listen on %s:%d" % (args.host, args.port))

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, sig, lambda *_: (loop.quit(), False)[1])
    if args.exit_on_stdin_eof:
        def on_stdin(fd, condition):
            data = b""
            if condition & GLib.IO_IN:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
            if not data:
                loop.quit()
                return False
            return True
        GLib.io_add_watch(sys.stdin.fileno(), GLib.PRIORITY_DEFAULT,
                          GLib.IO_IN | GLib.IO_HUP | GLib.IO_ERR, on_stdin)

    sys.stdout.write("ready rtsp://%s:%d%s\n" % (args.host, server.get_bound_port(), args.path))
    sys.stdout.flush()
    loop.run()


if __name__ == "__main__":
    main()
