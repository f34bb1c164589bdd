using System.Text;
using ErrorReporting.Delivery.Accounting;

namespace ErrorReporting.Tests.Delivery;

/// <summary>
/// The <c>span</c> entries of client reports: a dropped transaction counts its child spans plus its own (Sentry's
/// client-report spec, "span outcomes").
/// </summary>
public sealed class SpanCountsTests
{
    [Theory]
    [InlineData("""{"type":"transaction","spans":[{"span_id":"a"},{"span_id":"b","data":{"spans":[1,2,3]}}],"contexts":{}}""", 3)]
    [InlineData("""{"type":"transaction","contexts":{"trace":{"spans":[1]}}}""", 1)]
    [InlineData("""{"spans":[]}""", 1)]
    [InlineData("""{"spans":"not an array"}""", 1)]
    [InlineData("""not json""", 1)]
    public void OfTransaction_Payload_IsItsSpansPlusItsOwn(string json, int expected)
        => Assert.Equal(expected, SpanCounts.OfTransaction(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void OfItems_FramedItems_CountsTheTransactionsOnly()
    {
        var transaction = """{"type":"transaction","spans":[{},{},{}]}""";
        var attachment = """{"spans":[{},{}]}""";
        var items = Encoding.UTF8.GetBytes(
            $"{{\"type\":\"transaction\",\"length\":{transaction.Length}}}\n{transaction}\n"
            + $"{{\"type\":\"attachment\",\"length\":{attachment.Length}}}\n{attachment}\n"
            + $"{{\"type\":\"transaction\",\"length\":{transaction.Length}}}\n{transaction}\n");

        Assert.Equal(8, SpanCounts.OfItems(items));
    }

    [Fact]
    public void Drop_TransactionWithSpans_PendsTransactionAndSpanEntries()
    {
        var counters = new DeliveryCounters(TimeProvider.System);

        counters.Drop(DiscardReason.QueueOverflow, ["transaction"], spans: 4);

        var report = counters.TakeClientReport()!.OrderBy(c => c.Category, StringComparer.Ordinal).ToArray();
        Assert.Equal([new DiscardCount(DiscardReason.QueueOverflow, "span", 4), new DiscardCount(DiscardReason.QueueOverflow, "transaction", 1)], report);
    }
}
