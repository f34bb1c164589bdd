using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/ErrorReporting.Benchmarks -- [BenchmarkDotNet arguments]
//   e.g. --filter '*'            all micro-benchmarks
//        --filter '*' --job Dry  each benchmark once (CI: keeps them from rotting, judges nothing)
return BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args) is { } summaries && summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
