// Every test starts the real app (and one also Chromium): one at a time, so that a small, shared machine is not
// running several of them at once.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
