using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Sentry.Extensibility;

namespace ErrorReporting.Testing.Tests;

/// <summary>
/// The SDK's hub is process-global: tests that initialise it run alone, one at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GlobalSentrySdkDefinition
{
    public const string Name = "SentrySdk";
}

/// <summary>
/// The official Sentry .NET SDK, unchanged, against <see cref="SentryTestServer"/>: the server's strictness must accept
/// what the SDK really sends (gzip bodies, its auth header, its envelopes and event JSON).
/// </summary>
[Collection(GlobalSentrySdkDefinition.Name)]
public sealed class OfficialSdkTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task CaptureExceptionAndMessage_OfficialSdk_ServerAcceptsAndParsesBoth()
    {
        await using var server = await SentryTestServer.StartAsync();
        var sdkLog = new CollectingLogger();
        try
        {
            SentrySdk.Init(options =>
            {
                options.Dsn = server.Dsn;
                options.Release = "testing-tests@1.0.0";
                options.Environment = "conformance";
                options.Debug = true;
                options.DiagnosticLevel = SentryLevel.Warning;
                options.DiagnosticLogger = sdkLog;
            });
            SentrySdk.AddBreadcrumb("before the failure", category: "test");

            var thrown = Throw();
            var exceptionId = SentrySdk.CaptureException(thrown, scope =>
            {
                scope.SetTag("order", "42");
                scope.User = new SentryUser { Id = "user-7" };
                scope.Fingerprint = ["orders", "{{ default }}"];
            });
            var messageId = SentrySdk.CaptureMessage("Cache warmed", SentryLevel.Warning);
            await SentrySdk.FlushAsync(s_bound);

            Assert.NotEqual(SentryId.Empty, exceptionId);
            Assert.NotEqual(SentryId.Empty, messageId);
            var exceptionEvent = await server.WaitForEventAsync(exceptionId, s_bound);
            var messageEvent = await server.WaitForEventAsync(messageId, s_bound);

            Assert.Equal(exceptionId.ToString(), exceptionEvent.EventId);
            Assert.Equal(exceptionId.ToString(), exceptionEvent.EnvelopeEventId);
            Assert.Equal(true, exceptionEvent.Handled);
            Assert.Equal("error", exceptionEvent.Level);
            Assert.Equal("sentry.dotnet", exceptionEvent.SdkName);
            Assert.False(string.IsNullOrEmpty(exceptionEvent.SdkVersion));
            Assert.Equal("testing-tests@1.0.0", exceptionEvent.Release);
            Assert.Equal("conformance", exceptionEvent.Environment);
            Assert.Equal("42", exceptionEvent.Tags["order"]);
            Assert.Equal("user-7", exceptionEvent.User?.Id);
            Assert.Equal(["orders", "{{ default }}"], exceptionEvent.Fingerprint);
            var value = exceptionEvent.Exceptions[^1];
            Assert.Equal(typeof(InvalidOperationException).FullName, value.Type);
            Assert.Equal("Order 42 could not be saved", value.Value);
            Assert.Contains(value.Frames, frame => frame.Function?.Contains(nameof(Throw), StringComparison.Ordinal) == true);
            Assert.Contains(BreadcrumbMessages(exceptionEvent), message => message == "before the failure");
            Assert.Equal("gzip", exceptionEvent.Envelope.Headers["Content-Encoding"]);
            Assert.Contains("sentry_client=sentry.dotnet/", exceptionEvent.Envelope.Headers["X-Sentry-Auth"], StringComparison.Ordinal);

            Assert.Equal(messageId.ToString(), messageEvent.EventId);
            Assert.Equal("Cache warmed", messageEvent.Message);
            Assert.Equal("warning", messageEvent.Level);
            Assert.Equal("sentry.dotnet", messageEvent.SdkName);
            Assert.Empty(messageEvent.Exceptions);

            Assert.True(server.Rejections.Count == 0, "The server rejected: " + string.Join("; ", server.Rejections));
            Assert.All(server.Requests, request => Assert.Equal(200, request.StatusCode));
            Assert.True(sdkLog.Errors.Count == 0, "The SDK logged: " + string.Join("; ", sdkLog.Errors));
        }
        finally
        {
            SentrySdk.Close();
        }
    }

    [Fact]
    public async Task BeforeSendDrops_OfficialSdk_ServerParsesItsClientReport()
    {
        await using var server = await SentryTestServer.StartAsync();
        var sdkLog = new CollectingLogger();
        try
        {
            SentrySdk.Init(options =>
            {
                options.Dsn = server.Dsn;
                options.Debug = true;
                options.DiagnosticLevel = SentryLevel.Warning;
                options.DiagnosticLogger = sdkLog;
                options.SetBeforeSend(sentryEvent => sentryEvent.Message?.Message == "drop me" ? null : sentryEvent);
            });

            var dropped = SentrySdk.CaptureMessage("drop me");
            var kept = SentrySdk.CaptureMessage("keep me");
            await SentrySdk.FlushAsync(s_bound);

            Assert.Equal(SentryId.Empty, dropped);
            Assert.Equal("keep me", (await server.WaitForEventAsync(kept, s_bound)).Message);
            var reports = await server.WaitForClientReportsAsync(all => all.Sum(report => report.Quantity("before_send", "error")) >= 1, s_bound);
            Assert.Equal(1, reports.Sum(report => report.Quantity("before_send", "error")));
            Assert.DoesNotContain(server.Events, received => received.Message == "drop me");
            Assert.True(server.Rejections.Count == 0, "The server rejected: " + string.Join("; ", server.Rejections));
            Assert.True(sdkLog.Errors.Count == 0, "The SDK logged: " + string.Join("; ", sdkLog.Errors));
        }
        finally
        {
            SentrySdk.Close();
        }
    }

    private static IEnumerable<string?> BreadcrumbMessages(ReceivedEvent received)
    {
        // The SDK sends breadcrumbs as a bare array; Relay also accepts {"values": [...]}.
        if (!received.Json.TryGetProperty("breadcrumbs", out var breadcrumbs))
        {
            return [];
        }

        var values = breadcrumbs.ValueKind == JsonValueKind.Object && breadcrumbs.TryGetProperty("values", out var inner) ? inner : breadcrumbs;
        return values.ValueKind == JsonValueKind.Array
            ? values.EnumerateArray().Select(crumb => crumb.TryGetProperty("message", out var message) ? message.GetString() : null).ToArray()
            : [];
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static InvalidOperationException Throw()
    {
        try
        {
            throw new InvalidOperationException("Order 42 could not be saved");
        }
        catch (InvalidOperationException exception)
        {
            return exception;
        }
    }

    /// <summary>Keeps the SDK's own error-level diagnostics (a refused or failed send is logged there).</summary>
    private sealed class CollectingLogger : IDiagnosticLogger
    {
        private readonly ConcurrentQueue<string> _errors = new();

        public IReadOnlyCollection<string> Errors => _errors.ToArray();

        public bool IsEnabled(SentryLevel level) => level >= SentryLevel.Warning;

        public void Log(SentryLevel logLevel, string message, Exception? exception = null, params object?[] args)
        {
            if (logLevel >= SentryLevel.Error)
            {
                _errors.Enqueue($"{logLevel}: {SafeFormat(message, args)} {exception?.GetType().Name}: {exception?.Message}");
            }
        }

        private static string SafeFormat(string message, object?[] args)
        {
            try
            {
                return args.Length == 0 ? message : string.Format(System.Globalization.CultureInfo.InvariantCulture, message, args);
            }
            catch (FormatException)
            {
                return message;
            }
        }
    }
}
