using ErrorReporting.Processors;
using ErrorReporting.StackTraces;
using Sentry.Extensibility;
using Sentry.Protocol;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Tests.StackTraces;

/// <summary>
/// Proof that ErrorReporting's cached frames carry what the SDK's own factory sends: the same exceptions, captured once
/// through <c>new SentryStackTraceFactory(options)</c> (the SDK's default, <see cref="StackTraceMode.Enhanced"/>, and
/// <see cref="StackTraceMode.Original"/>) and once through <see cref="CachedStackTraceFactory"/>, compared frame by frame
/// (function, module, file, line, column, in_app, package, IL offset, method token). Where the names differ, the
/// documented mapping is asserted (benchmarks/README.md, "Frames: what differs from the SDK's").
/// </summary>
public sealed class FrameEquivalenceTests
{
    public static TheoryData<string> Samples => ["sync", "async", "lambda", "local function", "generic", "inner exception", "aggregate"];

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Create_SameExceptionAsSdkOriginal_SameFramesWithDocumentedNames(string sample)
    {
        var options = new SentryOptions();
        var ours = new CachedStackTraceFactory(options);
        var sdk = new SentryStackTraceFactory(new SentryOptions { StackTraceMode = StackTraceMode.Original });

        foreach (var exception in Chain(await ThrowAsync(sample)))
        {
            var expected = sdk.Create(exception)!.Frames;
            var actual = ours.Create(exception)!.Frames;

            Assert.Equal(expected.Count, actual.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                AssertSameLocation(expected[i], actual[i]);
                var (function, module) = OriginalNames(expected[i]);
                Assert.Equal(function, actual[i].Function);
                Assert.Equal(module, actual[i].Module);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Samples))]
    public async Task Create_SameExceptionAsSdkEnhanced_SameFramesWithSourceNames(string sample)
    {
        var options = new SentryOptions();
        var ours = new CachedStackTraceFactory(options);
        var sdk = new SentryStackTraceFactory(new SentryOptions { StackTraceMode = StackTraceMode.Enhanced });

        foreach (var exception in Chain(await ThrowAsync(sample)))
        {
            var expected = sdk.Create(exception)!.Frames;
            var actual = ours.Create(exception)!.Frames;
            var matched = 0;
            for (var i = 0; i < actual.Count; i++)
            {
                if (matched < expected.Count && Key(expected[matched]) == Key(actual[i]))
                {
                    var enhanced = expected[matched++];
                    AssertSameLocation(enhanced, actual[i]);

                    // Enhanced sends no module and a demystified signature that holds the source name.
                    Assert.Null(enhanced.Module);
                    Assert.Contains(EnhancedNameOf(actual[i]), enhanced.Function, StringComparison.Ordinal);
                }
                else if (i > 0 && Key(actual[i]) == Key(actual[i - 1]))
                {
                    // Enhanced folds a recursion into one frame named "… x N"; ErrorReporting keeps each call.
                    Assert.Matches(@" x \d+$", expected[matched - 1].Function);
                }
                else
                {
                    // Enhanced hides the runtime's async plumbing (awaiters, ExceptionDispatchInfo.Throw).
                    Assert.False(actual[i].InApp);
                    Assert.StartsWith("System.Runtime.", actual[i].Module, StringComparison.Ordinal);
                }
            }

            Assert.Equal(expected.Count, matched);
        }
    }

    /// <remarks>
    /// In <see cref="StackTraceMode.Enhanced"/> an async exception has fewer images: the mode hides the runtime's
    /// async plumbing frames (see the Enhanced test), and with them System.Private.CoreLib's image; that case is
    /// compared with <see cref="StackTraceMode.Original"/>, which keeps those frames as ErrorReporting does.
    /// </remarks>
    [Theory]
    [InlineData("inner exception", StackTraceMode.Enhanced)]
    [InlineData("inner exception", StackTraceMode.Original)]
    [InlineData("async", StackTraceMode.Original)]
    public async Task CaptureEvent_ThroughTheSdkClient_SameDebugImagesAndModulesAsTheSdk(string sample, StackTraceMode mode)
    {
        var exception = await ThrowAsync(sample);

        // Warm-up of both paths, so that the assemblies they load are loaded before the compared captures.
        _ = Capture(new SentryOptions { Dsn = Dsn, StackTraceMode = mode }, FrameSamples.Catch(FrameSamples.Sync));
        _ = CaptureWithErrorReporting(FrameSamples.Catch(FrameSamples.Sync));

        // Other tests of the process may load an assembly between the two captures; compare a pair made while none did.
        SentryEvent sdk, ours;
        var attempts = 0;
        int loadedBefore;
        do
        {
            loadedBefore = AppDomain.CurrentDomain.GetAssemblies().Length;
            sdk = Capture(new SentryOptions { Dsn = Dsn, StackTraceMode = mode }, exception);
            ours = CaptureWithErrorReporting(exception);
        }
        while (AppDomain.CurrentDomain.GetAssemblies().Length != loadedBefore && ++attempts < 10);

        Assert.NotEmpty(sdk.DebugImages!);
        Assert.Equal(sdk.DebugImages!.Select(Describe), ours.DebugImages!.Select(Describe));
        Assert.Equal(Symbolication(sdk), Symbolication(ours));
        Assert.NotEmpty(sdk.Modules);
        Assert.Equal(sdk.Modules.OrderBy(m => m.Key, StringComparer.Ordinal), ours.Modules.OrderBy(m => m.Key, StringComparer.Ordinal));
    }

    [Fact]
    public void Process_InformationalVersionMode_ModulesAsTheSdkWritesThem()
    {
        _ = Capture(new SentryOptions { Dsn = Dsn, ReportAssembliesMode = ReportAssembliesMode.InformationalVersion }, FrameSamples.Catch(FrameSamples.Sync));
        var sdk = Capture(new SentryOptions { Dsn = Dsn, ReportAssembliesMode = ReportAssembliesMode.InformationalVersion }, FrameSamples.Catch(FrameSamples.Sync));
        var ours = new ModulesProcessor(ReportAssembliesMode.InformationalVersion).Process(new SentryEvent())!;

        Assert.Contains(sdk.Modules, m => m.Value.Contains('+', StringComparison.Ordinal)); // informational versions carry the commit
        Assert.Equal(sdk.Modules.OrderBy(m => m.Key, StringComparer.Ordinal), ours.Modules.OrderBy(m => m.Key, StringComparer.Ordinal));
    }

    private const string Dsn = "https://0123456789abcdef0123456789abcdef@sentry.invalid/1";

    private static SentryEvent CaptureWithErrorReporting(Exception exception)
    {
        var options = new SentryOptions { Dsn = Dsn, ReportAssembliesMode = ReportAssembliesMode.None };
        options.UseStackTraceFactory(new CachedStackTraceFactory(options));
        options.AddEventProcessor(new DebugImagesProcessor());
        options.AddEventProcessor(new ModulesProcessor(ReportAssembliesMode.Version));
        return Capture(options, exception);
    }

    /// <summary>Captures through a non-global <see cref="SentryClient"/> (no hub, nothing sent) and returns the event BeforeSend saw.</summary>
    private static SentryEvent Capture(SentryOptions options, Exception exception)
    {
        SentryEvent? captured = null;
        options.BackgroundWorker = new DiscardingWorker();
        options.SetBeforeSend((sentryEvent, _) => captured = sentryEvent);
        using var client = new SentryClient(options);
        Assert.NotEqual(SentryId.Empty, client.CaptureEvent(new SentryEvent(exception)));
        return captured ?? throw new InvalidOperationException("BeforeSend was not called.");
    }

    /// <summary>What server-side symbolication reads of each frame, a recursion counted once (the SDK's Enhanced mode folds it).</summary>
    private static List<(long? FunctionId, long? InstructionAddress, string? AddressMode)> Symbolication(SentryEvent sentryEvent)
    {
        var frames = new List<(long?, long?, string?)>();
        foreach (var frame in sentryEvent.SentryExceptions!.SelectMany(e => e.Stacktrace!.Frames))
        {
            var key = (frame.FunctionId, frame.InstructionAddress, frame.AddressMode);
            if (frames.Count == 0 || frames[^1] != key)
            {
                frames.Add(key);
            }
        }

        return frames;
    }

    private static string Describe(DebugImage image) => $"{image.Type} {image.CodeId} {image.CodeFile} {image.DebugId} {image.DebugChecksum} {image.DebugFile}";

    private static void AssertSameLocation(SentryStackFrame expected, SentryStackFrame actual)
    {
        Assert.Equal(expected.FileName, actual.FileName);
        Assert.Equal(expected.AbsolutePath, actual.AbsolutePath);
        Assert.Equal(expected.LineNumber, actual.LineNumber);
        Assert.Equal(expected.ColumnNumber, actual.ColumnNumber);
        Assert.Equal(expected.InApp, actual.InApp);
        Assert.Equal(expected.Package, actual.Package);
        Assert.Equal(expected.InstructionAddress, actual.InstructionAddress);
        Assert.Equal(expected.FunctionId, actual.FunctionId);
    }

    private static (long? FunctionId, long? InstructionAddress, string? Package) Key(SentryStackFrame frame) => (frame.FunctionId, frame.InstructionAddress, frame.Package);

    /// <summary>
    /// What ErrorReporting names a frame that the SDK's Original mode names <paramref name="frame"/>'s way: a lambda
    /// <c>Outer { &lt;lambda&gt; }</c> in <c>Type+&lt;&gt;c</c> is <c>Outer.lambda</c> in <c>Type</c>; a local function
    /// <c>&lt;Outer&gt;g__Local|5_0</c> is <c>Outer.Local</c>; everything else is the same.
    /// </summary>
    private static (string? Function, string? Module) OriginalNames(SentryStackFrame frame)
    {
        var function = frame.Function!;
        var module = frame.Module;
        if (function.EndsWith(" { <lambda> }", StringComparison.Ordinal))
        {
            function = function[..^" { <lambda> }".Length] + ".lambda";
            var nested = module!.LastIndexOf('+');
            module = nested > 0 && module[(nested + 1)..].StartsWith('<') ? module[..nested] : module;
        }
        else if (function.StartsWith('<') && function.IndexOf(">g__", StringComparison.Ordinal) is var end and > 0)
        {
            var local = function[(end + 4)..function.IndexOf('|', StringComparison.Ordinal)];
            function = function[1..end] + "." + local;
        }

        return (function, module);
    }

    /// <summary>
    /// The part of the SDK's Enhanced (demystified) name that ErrorReporting's frame determines: <c>Type.Method(</c>
    /// for a method, <c>Type.Outer()+(</c> for a lambda, <c>Type.Outer()+Local(</c> for a local function, where Type
    /// is the short name (generic arguments as written: <c>Repository&lt;T&gt;.Find&lt;TKey&gt;(</c> keeps <c>Find</c>).
    /// </summary>
    private static string EnhancedNameOf(SentryStackFrame frame)
    {
        var type = frame.Module![(frame.Module!.LastIndexOfAny(['.', '+']) + 1)..];
        var tick = type.IndexOf('`', StringComparison.Ordinal);
        type = tick > 0 ? type[..tick] : type;
        var function = frame.Function!;
        var dot = function.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return tick > 0 ? $".{function}<" : $"{type}.{function}(";
        }

        var outer = function[..dot];
        var inner = function[(dot + 1)..];
        return inner == "lambda" ? $"{type}.{outer}()+(" : $"{type}.{outer}()+{inner}(";
    }

    private static async Task<Exception> ThrowAsync(string sample) => sample switch
    {
        "sync" => FrameSamples.Catch(FrameSamples.Sync),
        "async" => await FrameSamples.CatchAsync(() => FrameSamples.PlaceOrderAsync(3)),
        "lambda" => FrameSamples.Catch(FrameSamples.Lambda),
        "local function" => FrameSamples.Catch(FrameSamples.LocalFunction),
        "generic" => FrameSamples.Catch(FrameSamples.Generic),
        "inner exception" => FrameSamples.Catch(FrameSamples.WithInner),
        "aggregate" => FrameSamples.Catch(FrameSamples.Aggregate),
        _ => throw new ArgumentOutOfRangeException(nameof(sample), sample, null),
    };

    /// <summary>The exception and every exception inside it (inner, aggregated), as the SDK walks them.</summary>
    private static IEnumerable<Exception> Chain(Exception exception)
    {
        yield return exception;
        var inner = exception is AggregateException aggregate ? aggregate.InnerExceptions : exception.InnerException is { } single ? [single] : (IReadOnlyList<Exception>)[];
        foreach (var child in inner)
        {
            foreach (var nested in Chain(child))
            {
                yield return nested;
            }
        }
    }

    private sealed class DiscardingWorker : IBackgroundWorker
    {
        public int QueuedItems => 0;

        public bool EnqueueEnvelope(Envelope envelope)
        {
            envelope.Dispose();
            return true;
        }

        public Task FlushAsync(TimeSpan timeout) => Task.CompletedTask;
    }
}
