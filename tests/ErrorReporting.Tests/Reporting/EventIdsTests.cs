using ErrorReporting.Reporting;

namespace ErrorReporting.Tests.Reporting;

public sealed class EventIdsTests
{
    [Fact]
    public async Task Next_ManyThreads_UniqueVersion4Ids()
    {
        var batches = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Enumerable.Range(0, 50_000).Select(_ => EventIds.Next()).ToList())));

        var ids = batches.SelectMany(b => b).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids.Take(1000), id =>
        {
            var text = id.ToString("D");
            Assert.Equal('4', text[14]);
            Assert.Contains(text[19], "89ab");
        });
    }
}
