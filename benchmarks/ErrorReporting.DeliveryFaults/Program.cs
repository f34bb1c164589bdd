using ErrorReporting.DeliveryFaults;

// dotnet run -c Release --project benchmarks/ErrorReporting.DeliveryFaults -- [--scenario NAME[,NAME...]] [--out FILE]
//   Runs every scenario twice, "SDK 6.12.1 defaults" and "ErrorReporting", each in a child process of this executable
//   (--child ..., internal), against the fault-injecting SentryTestServer; prints the table and writes it to --out
//   (default docs/delivery-results.md for a full run). See docs/delivery.md.
// Exit code: 0 when every run completed and ErrorReporting kept the promises of docs/delivery.md (nothing accepted lost
// after network failures and crashes; exactly the envelopes that met a 5xx discarded, counted send_error, never resent;
// nothing sent inside a rate-limit window and the reports made in it refused and counted; every error accepted after a
// flood of transactions; requests to a failing server at the probe schedule's gaps, 1 s doubling to 60 s, jittered; the
// backlog after recovery paced 100 ms apart; client reports that add up; FlushAsync(10 s) true where the pacing allows
// it), 1 when not, 2 for bad arguments. The SDK's rows are measured, not judged.
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
