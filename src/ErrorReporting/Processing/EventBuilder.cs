using System.Collections;
using System.Globalization;
using ErrorReporting.Events;
using ErrorReporting.Reporting;

namespace ErrorReporting.Processing;

/// <summary>
/// Builds the <see cref="SentryEvent"/> for a report on the background worker: exception chain, stack frames,
/// tags, user, release. Reading the exception is defensive: a getter that throws costs that one field, not the event.
/// </summary>
internal sealed class EventBuilder : IDisposable
{
    /// <summary>The most exception values one event carries (the reported exception and its nearest inner ones).</summary>
    internal const int MaxExceptions = 32;

    /// <summary>The most entries of <see cref="Exception.Data"/> copied into a mechanism's data.</summary>
    internal const int MaxDataEntries = 20;

    internal const string HandledMechanism = "generic";
    internal const string ChainedMechanism = "chained";
    internal const string UnhandledMechanismDescription = "An exception that nobody caught.";

    private readonly ErrorReportingOptions _options;
    private readonly StackFrameReader _frames;
    private readonly string? _serverName;

    public EventBuilder(ErrorReportingOptions options)
    {
        _options = options;
        _frames = new StackFrameReader(options.InAppExclude, options.InAppInclude);
        _serverName = !string.IsNullOrWhiteSpace(options.ServerName) ? options.ServerName
            : options.SendDefaultPii ? System.Environment.MachineName : null;
    }

    public void Dispose() => _frames.Dispose();

    public SentryEvent Build(in ReportEntry entry)
    {
        var sentryEvent = new SentryEvent(new SentryEventId(entry.EventId), entry.Timestamp, entry.Exception)
        {
            Level = Normalize(entry.Level, entry.Kind == ReportKind.Message ? SentryLevel.Info : SentryLevel.Error),
            Message = entry.Message,
            Environment = _options.Environment,
            Release = _options.Release,
            ServerName = _serverName,
        };

        AddTags(sentryEvent, entry);
        var context = entry.Context;
        if (context is not null)
        {
            if (context.ExtraOrNull is { Count: > 0 } extra)
            {
                foreach (var item in extra)
                {
                    sentryEvent.Extra[item.Key] = item.Value;
                }
            }

            sentryEvent.User = context.User;
            sentryEvent.Request = context.Request;
            sentryEvent.Transaction = context.Transaction;
            if (context.Fingerprint is { Count: > 0 } fingerprint)
            {
                foreach (var part in fingerprint)
                {
                    if (part is not null)
                    {
                        sentryEvent.Fingerprint.Add(part);
                    }
                }
            }
        }

        if (entry.Exception is not null)
        {
            AddExceptions(sentryEvent.Exceptions, entry.Exception, entry.Kind == ReportKind.Unhandled, entry.Mechanism);
        }

        return sentryEvent;
    }

    private static SentryLevel Normalize(SentryLevel level, SentryLevel fallback)
        => level is >= SentryLevel.Debug and <= SentryLevel.Fatal ? level : fallback;

    private void AddTags(SentryEvent sentryEvent, in ReportEntry entry)
    {
        // Later sources win: options' default tags, then the scope, then the call.
        foreach (var tag in _options.DefaultTags)
        {
            sentryEvent.Tags[tag.Key] = tag.Value;
        }

        if (entry.Scope is { } scope)
        {
            foreach (var tag in scope.Tags)
            {
                sentryEvent.Tags[tag.Key] = tag.Value;
            }
        }

        if (entry.Context?.TagsOrNull is { Count: > 0 } tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Value is null)
                {
                    sentryEvent.Tags.Remove(tag.Key);
                }
                else
                {
                    sentryEvent.Tags[tag.Key] = tag.Value;
                }
            }
        }
    }

    /// <summary>
    /// Walks the exception tree pre-order from the reported exception (inner exceptions, or every inner exception of an
    /// <see cref="AggregateException"/>), numbering each exception, then writes the values innermost first.
    /// </summary>
    private void AddExceptions(IList<SentryExceptionValue> values, Exception root, bool unhandled, string? mechanism)
    {
        var walked = new List<(Exception Exception, string? Source, int? ParentId)>(4);
        var pending = new Stack<(Exception Exception, string? Source, int? ParentId)>();
        pending.Push((root, null, null));
        while (pending.Count > 0 && walked.Count < MaxExceptions)
        {
            var current = pending.Pop();
            var id = walked.Count;
            walked.Add(current);
            PushChildren(pending, current.Exception, id);
        }

        var chained = walked.Count > 1;
        for (var id = walked.Count - 1; id >= 0; id--)
        {
            var (exception, source, parentId) = walked[id];
            var isRoot = id == 0;
            var value = new SentryExceptionValue
            {
                Type = exception.GetType().FullName,
                Value = ReadMessage(exception),
                Module = exception.GetType().Assembly.FullName,
                Mechanism = new SentryMechanism
                {
                    Type = isRoot ? SanitizeMechanism(mechanism, unhandled) : ChainedMechanism,
                    Description = isRoot ? DescribeMechanism(mechanism, unhandled) : null,
                    Source = source,
                    Handled = !unhandled,
                    IsExceptionGroup = exception is AggregateException,
                    ExceptionId = chained ? id : null,
                    ParentId = chained ? parentId : null,
                    HelpLink = ReadOrNull(exception, static e => e.HelpLink),
                },
            };
            AddData(value.Mechanism, exception);
            try
            {
                _frames.AddFrames(exception, value);
            }
            catch (Exception)
            {
                // Symbols or metadata unreadable: the value goes without frames.
            }

            values.Add(value);
        }
    }

    /// <summary>Pushes the children of an exception so that they pop in order: inner exceptions of an aggregate first to last.</summary>
    private static void PushChildren(Stack<(Exception Exception, string? Source, int? ParentId)> pending, Exception exception, int id)
    {
        try
        {
            if (exception is AggregateException aggregate)
            {
                var inner = aggregate.InnerExceptions;
                for (var i = Math.Min(inner.Count, MaxExceptions) - 1; i >= 0; i--)
                {
                    if (inner[i] is { } child)
                    {
                        pending.Push((child, string.Create(CultureInfo.InvariantCulture, $"InnerExceptions[{i}]"), id));
                    }
                }
            }
            else if (exception.InnerException is { } inner)
            {
                pending.Push((inner, "InnerException", id));
            }
        }
        catch (Exception)
        {
            // A custom exception whose InnerException(s) getter throws: treat it as a leaf.
        }
    }

    private static string SanitizeMechanism(string? mechanism, bool unhandled)
    {
        if (string.IsNullOrWhiteSpace(mechanism))
        {
            return unhandled ? "unhandled" : HandledMechanism;
        }

        var trimmed = mechanism.Trim();
        return trimmed.Any(char.IsWhiteSpace) ? string.Concat(trimmed.Select(c => char.IsWhiteSpace(c) ? '_' : c)) : trimmed;
    }

    private static string? DescribeMechanism(string? mechanism, bool unhandled) => mechanism switch
    {
        Hosting.UnhandledExceptionHooks.AppDomainMechanism
            => "This exception was caught by the .NET AppDomain unhandled-exception handler. The process likely crashed as a result of it.",
        Hosting.UnhandledExceptionHooks.UnobservedTaskMechanism
            => "This exception was thrown from a task that nobody awaited or observed. It was unhandled, but likely did not crash the process.",
        _ => unhandled ? UnhandledMechanismDescription : null,
    };

    internal static string ReadMessage(Exception exception)
    {
        string message;
        try
        {
            message = exception.Message;
        }
        catch (Exception getterException)
        {
            return $"(the exception's Message getter threw {getterException.GetType().FullName})";
        }

        // AggregateException appends " (inner message)" for each inner exception; Sentry shows those values anyway.
        if (exception is AggregateException aggregate)
        {
            try
            {
                var suffix = string.Concat(aggregate.InnerExceptions.Select(inner => $" ({inner.Message})"));
                if (suffix.Length > 0 && message.EndsWith(suffix, StringComparison.Ordinal))
                {
                    return message[..^suffix.Length];
                }
            }
            catch (Exception)
            {
                // Keep the full message.
            }
        }

        return message;
    }

    private static void AddData(SentryMechanism mechanism, Exception exception)
    {
        mechanism.HResult = exception.HResult;
        try
        {
            var data = exception.Data;
            if (data is null || data.Count == 0)
            {
                return;
            }

            var count = 0;
            foreach (DictionaryEntry item in data)
            {
                if (item.Key is string key && count++ < MaxDataEntries)
                {
                    mechanism.Data[key] = Convert.ToString(item.Value, CultureInfo.InvariantCulture) ?? string.Empty;
                }
            }
        }
        catch (Exception)
        {
            // Data getter or enumeration threw, or a value's ToString threw: keep what was read.
        }
    }

    private static string? ReadOrNull(Exception exception, Func<Exception, string?> read)
    {
        try
        {
            return read(exception);
        }
        catch (Exception)
        {
            return null;
        }
    }
}
