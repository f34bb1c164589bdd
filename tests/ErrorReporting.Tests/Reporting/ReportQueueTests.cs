using ErrorReporting.Reporting;

namespace ErrorReporting.Tests.Reporting;

public sealed class ReportQueueTests
{
    [Fact]
    public void TryEnqueue_BeyondCapacity_ReturnsFalseAndKeepsOrder()
    {
        var queue = new ReportQueue(3);

        var accepted = Enumerable.Range(0, 5).Select(i => queue.TryEnqueue(Entry(i))).ToList();

        Assert.Equal([true, true, true, false, false], accepted);
        Assert.Equal(3, queue.Count);
        Assert.Equal([0, 1, 2], Drain(queue));
        Assert.True(queue.TryEnqueue(Entry(9)));
        Assert.Equal([9], Drain(queue));
    }

    [Fact]
    public void TryEnqueue_WrapsAroundManyTimes_PreservesFifoOrder()
    {
        var queue = new ReportQueue(7);
        var seen = new List<int>();

        for (var i = 0; i < 1000; i++)
        {
            Assert.True(queue.TryEnqueue(Entry(i)));
            if (i % 3 == 2)
            {
                seen.AddRange(Drain(queue));
            }
        }

        seen.AddRange(Drain(queue));
        Assert.Equal(Enumerable.Range(0, 1000), seen);
        Assert.Equal(1000, queue.EnqueuedCount);
        Assert.Equal(1000, queue.DequeuedCount);
    }

    [Fact]
    public async Task TryEnqueue_ConcurrentProducersAndConsumer_DeliversEveryAcceptedEntryOnce()
    {
        const int producers = 8;
        const int perProducer = 20_000;
        var queue = new ReportQueue(64);
        var received = new List<int>();
        using var stop = new CancellationTokenSource();
        var consumer = Task.Factory.StartNew(
            () =>
            {
                while (true)
                {
                    while (queue.TryDequeue(out var entry))
                    {
                        received.Add((int)entry.TimestampTicks);
                    }

                    if (stop.IsCancellationRequested && queue.Count == 0)
                    {
                        return;
                    }

                    queue.WaitToDequeue(stop.Token);
                }
            },
            TaskCreationOptions.LongRunning);

        var accepted = await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(() =>
        {
            var mine = new List<int>();
            for (var i = 0; i < perProducer; i++)
            {
                var value = (p * perProducer) + i;
                if (queue.TryEnqueue(Entry(value)))
                {
                    mine.Add(value);
                }
            }

            return mine;
        })));
        await stop.CancelAsync();
        queue.WakeConsumer();
        await consumer.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(accepted.SelectMany(a => a).Order(), received.Order());
        foreach (var producer in accepted)
        {
            // Each producer's entries come out in the order it put them in.
            var set = producer.ToHashSet();
            Assert.Equal(producer, received.Where(set.Contains));
        }
    }

    [Fact]
    public async Task WaitToDequeue_EntryArrivesLater_Wakes()
    {
        var queue = new ReportQueue(4);
        using var consumerWaits = new ManualResetEventSlim();
        var waiting = Task.Factory.StartNew(
            () =>
            {
                consumerWaits.Set();
                queue.WaitToDequeue(CancellationToken.None);
            },
            TaskCreationOptions.LongRunning);
        consumerWaits.Wait(TimeSpan.FromSeconds(10));

        queue.TryEnqueue(Entry(1));

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([1], Drain(queue));
    }

    [Fact]
    public async Task WaitToDequeue_Canceled_Returns()
    {
        var queue = new ReportQueue(4);
        using var stop = new CancellationTokenSource();
        var waiting = Task.Factory.StartNew(() => queue.WaitToDequeue(stop.Token), TaskCreationOptions.LongRunning);

        await stop.CancelAsync();

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, queue.Count);
    }

    private static ReportEntry Entry(int value) => new() { TimestampTicks = value, Message = "m" };

    private static List<int> Drain(ReportQueue queue)
    {
        var values = new List<int>();
        while (queue.TryDequeue(out var entry))
        {
            values.Add((int)entry.TimestampTicks);
        }

        return values;
    }
}
