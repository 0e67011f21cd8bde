"""Performance benchmarks (``make bench``); see docs/performance.md."""
