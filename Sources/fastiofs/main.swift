// Entry point only. No C callbacks may live in this file: closures here are inferred @MainActor and
// trap when libfuse calls them from its threads.
FastIOFSCommand.main()
