using System.Globalization;
using ErrorReporting.StackTraces;
using Sentry.Protocol;

namespace ErrorReporting.Reporting;

/// <summary>
/// Exceptions whose members throw. While it captures, the SDK reads <see cref="Exception.Message"/>,
/// <see cref="Exception.Data"/> and <see cref="Exception.HelpLink"/> of every exception in the chain, and when one of
/// them throws it drops the whole event (and logs it). For such an exception the reporter describes it itself, reading
/// each member once and guarded: its type, a value (the message, or which member threw), the frames the runtime
/// recorded, and the mechanism; inner exceptions follow the same rule.
/// </summary>
internal static class HostileExceptions
{
    private const int MaxExceptions = 100;

    private static readonly Lazy<CachedStackTraceFactory> s_frames = new(() => new CachedStackTraceFactory(new SentryOptions()));

    /// <summary>Gets a value indicating whether the SDK can read every exception of the chain (the common case: no member throws).</summary>
    public static bool AreReadable(Exception exception)
    {
        var count = 0;
        return AreReadable(exception, ref count);
    }

    /// <summary>Builds the event for an exception the SDK cannot read: handled, or unhandled with <paramref name="mechanism"/>.</summary>
    public static SentryEvent Describe(Exception exception, string? mechanism)
    {
        var exceptions = new List<SentryException>();
        Add(exception, exceptions);
        exceptions.Reverse();
        exceptions[^1].Mechanism = new Mechanism { Type = mechanism ?? "generic", Handled = mechanism is null };
        return new SentryEvent { SentryExceptions = exceptions, Level = SentryLevel.Error };
    }

    private static bool AreReadable(Exception exception, ref int count)
    {
        for (Exception? current = exception; current is not null && count < MaxExceptions; count++)
        {
            try
            {
                _ = current.Message;
                _ = current.HelpLink;
                _ = current.Data;
                if (current is AggregateException aggregate)
                {
                    foreach (var inner in aggregate.InnerExceptions)
                    {
                        if (!AreReadable(inner, ref count))
                        {
                            return false;
                        }
                    }

                    return true;
                }

                current = current.InnerException;
            }
            catch (Exception)
            {
                return false;
            }
        }

        return true;
    }

    private static void Add(Exception exception, List<SentryException> exceptions)
    {
        for (Exception? current = exception; current is not null && exceptions.Count < MaxExceptions;)
        {
            exceptions.Add(new SentryException
            {
                Type = current.GetType().FullName,
                Module = current.GetType().Assembly.FullName,
                Value = Read(current, static e => e.Message, nameof(Exception.Message)),
                Stacktrace = Frames(current),
            });

            if (current is AggregateException aggregate)
            {
                if (Read(aggregate, static a => a.InnerExceptions, nameof(AggregateException.InnerExceptions)) is { } inner)
                {
                    foreach (var innerException in inner)
                    {
                        Add(innerException, exceptions);
                    }
                }

                return;
            }

            current = Read(current, static e => e.InnerException, nameof(Exception.InnerException));
        }
    }

    private static SentryStackTrace? Frames(Exception exception)
    {
        try
        {
            return s_frames.Value.Create(exception);
        }
        catch (Exception)
        {
            return null;
        }
    }

    private static T? Read<TException, T>(TException exception, Func<TException, T> read, string member)
        where TException : Exception
    {
        try
        {
            return read(exception);
        }
        catch (Exception failure)
        {
            return typeof(T) == typeof(string)
                ? (T)(object)string.Create(CultureInfo.InvariantCulture, $"({member} threw {failure.GetType().FullName})")
                : default;
        }
    }
}
