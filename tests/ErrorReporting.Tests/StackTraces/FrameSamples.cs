using System.Runtime.CompilerServices;

namespace ErrorReporting.Tests.StackTraces;

/// <summary>
/// Exceptions thrown through each kind of method the compiler generates, for the frame-equivalence tests: each
/// method throws or calls on, and <see cref="Catch"/> returns what it threw.
/// </summary>
internal static class FrameSamples
{
    public static Exception Catch(Action action)
    {
        try
        {
            action();
        }
        catch (Exception exception)
        {
            return exception;
        }

        throw new InvalidOperationException("Nothing was thrown.");
    }

    public static async Task<Exception> CatchAsync(Func<Task> action)
    {
        try
        {
            await action();
        }
        catch (Exception exception)
        {
            return exception;
        }

        throw new InvalidOperationException("Nothing was thrown.");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Sync() => SyncInner(3);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static async Task<int> PlaceOrderAsync(int quantity)
    {
        await Task.Yield();
        return await ReserveAsync(quantity);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Lambda()
    {
        Action<int> check = quantity =>
        {
            if (quantity > 0)
            {
                throw new ArgumentOutOfRangeException(nameof(quantity), quantity, "in a lambda");
            }
        };
        check(5);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void LocalFunction()
    {
        Validate(7);

        [MethodImpl(MethodImplOptions.NoInlining)]
        static void Validate(int value) => throw new FormatException($"local function: {value}");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Generic() => new Repository<Order>().Find<int>(42);

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void WithInner()
    {
        try
        {
            Sync();
        }
        catch (InvalidOperationException inner)
        {
            throw new NotSupportedException("outer", inner);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Aggregate()
    {
        var first = Catch(Sync);
        var second = Catch(LocalFunction);
        throw new AggregateException("aggregate", first, second);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void SyncInner(int depth)
    {
        if (depth > 0)
        {
            SyncInner(depth - 1);
            return;
        }

        throw new InvalidOperationException("sync");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static async Task<int> ReserveAsync(int quantity)
    {
        await Task.Yield();
        throw new InvalidOperationException($"async: {quantity}");
    }

    internal sealed class Order;

    internal sealed class Repository<T>
        where T : class
    {
        private readonly string _name = typeof(T).Name;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public T Find<TKey>(TKey key) => throw new KeyNotFoundException($"{_name} {key}");
    }
}
