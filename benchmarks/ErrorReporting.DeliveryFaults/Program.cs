using ErrorReporting.DeliveryFaults;

// dotnet run -c Release --project benchmarks/ErrorReporting.DeliveryFaults -- [--scenario NAME[,NAME...]] [--out FILE]
//   Runs every scenario twice, "SDK 6.12.1 defaults" and "ErrorReporting", each in a child process of this executable
//   (--child ..., internal), against the fault-injecting SentryTestServer; prints the table and writes it to --out
//   (default docs/delivery-results.md for a full run). See docs/delivery.md.
// Exit code: 0 when every run completed and ErrorReporting kept its promises (nothing lost, no duplicates, nothing
// inside a rate-limit window, FlushAsync true), 1 when not, 2 for bad arguments. The SDK's rows are measured, not judged.
try
{
    return args switch
    {
        [ChildOptions.Flag, .. var rest] => await ChildMode.RunAsync(rest),
        _ => await FaultTable.RunAsync(args),
    };
}
catch (UsageException exception)
{
    Console.Error.WriteLine(exception.Message);
    Console.Error.WriteLine($"Usage: {FaultTable.Usage}");
    return 2;
}
