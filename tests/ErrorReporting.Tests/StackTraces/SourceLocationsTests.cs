using System.Diagnostics;
using System.Runtime.CompilerServices;
using ErrorReporting.StackTraces;

namespace ErrorReporting.Tests.StackTraces;

/// <summary>
/// The cached symbol lookup must give exactly what the runtime's own lookup gives, frame by frame.
/// </summary>
public sealed class SourceLocationsTests
{
    public static TheoryData<string> Cases => ["plain", "lambda", "local", "generic", "iterator", "async", "system"];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TryGet_EveryFrame_MatchesTheRuntimesLookup(string kind)
    {
        var exception = await CaptureAsync(kind);
        var sources = new SourceLocations();
        var withoutInfo = new StackTrace(exception, fNeedFileInfo: false).GetFrames();
        var withInfo = new StackTrace(exception, fNeedFileInfo: true).GetFrames();
        Assert.Equal(withInfo.Length, withoutInfo.Length);
        var compared = 0;

        for (var i = 0; i < withoutInfo.Length; i++)
        {
            var method = withoutInfo[i].GetMethod();
            if (method is null || !sources.TryGet(method, withoutInfo[i].GetILOffset(), out var location))
            {
                continue;
            }

            Assert.Equal(withInfo[i].GetFileName(), location.File);
            Assert.Equal(withInfo[i].GetFileLineNumber(), location.Line);
            Assert.Equal(withInfo[i].GetFileColumnNumber(), location.Column);
            compared += location.File is null ? 0 : 1;
        }

        Assert.True(compared > 0, "No frame of this test's own code was resolved.");
    }

    [Fact]
    public void TryGet_SameFrameTwice_ReturnsTheCachedLocation()
    {
        var exception = Throw(() => throw new InvalidOperationException());
        var sources = new SourceLocations();
        var frame = new StackTrace(exception, fNeedFileInfo: false).GetFrame(0)!;

        Assert.True(sources.TryGet(frame.GetMethod()!, frame.GetILOffset(), out var first));
        Assert.True(sources.TryGet(frame.GetMethod()!, frame.GetILOffset(), out var second));

        Assert.Same(first.File, second.File);
        Assert.EndsWith(nameof(SourceLocationsTests) + ".cs", first.File, StringComparison.Ordinal);
    }

    private static async Task<Exception> CaptureAsync(string kind)
    {
        switch (kind)
        {
            case "plain":
                return Throw(static () => Plain());
            case "lambda":
                return Throw(static () => _ = Enumerable.Range(0, 3).Select(i => i == 2 ? throw new InvalidOperationException("lambda") : i).ToList());
            case "local":
                return Throw(static () =>
                {
                    Local(1);
                    static void Local(int depth) => throw new InvalidOperationException("local " + depth);
                });
            case "generic":
                return Throw(static () => Generic<string>("x"));
            case "iterator":
                return Throw(static () => _ = Iterate().ToList());
            case "async":
                try
                {
                    await AsyncThrowAsync();
                }
                catch (InvalidOperationException exception)
                {
                    return exception;
                }

                break;
            case "system":
                return Throw(static () => int.Parse("not a number", System.Globalization.CultureInfo.InvariantCulture));
        }

        throw new InvalidOperationException("unknown case " + kind);
    }

    private static Exception Throw(Action action)
    {
        try
        {
            action();
        }
        catch (Exception exception)
        {
            return exception;
        }

        throw new InvalidOperationException("did not throw");
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Plain() => throw new InvalidOperationException("plain");

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Generic<T>(T value) => throw new InvalidOperationException("generic " + value);

    private static IEnumerable<int> Iterate()
    {
        yield return 1;
        throw new InvalidOperationException("iterator");
    }

    private static async Task AsyncThrowAsync()
    {
        await Task.Yield();
        throw new InvalidOperationException("async");
    }
}
