// Placeholder replaced by the benchmark runner.
console.log('bench: not written yet');
