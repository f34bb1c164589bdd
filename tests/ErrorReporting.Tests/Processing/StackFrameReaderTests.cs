using System.Linq.Expressions;
using ErrorReporting.Events;
using ErrorReporting.Processing;

namespace ErrorReporting.Tests.Processing;

public sealed class StackFrameReaderTests
{
    [Theory]
    [InlineData("<Main>$", "Main")]
    [InlineData("<<Main>$>b__0_3", "Main")]
    [InlineData("<<Main>$>g__Local|0_1", "Main")]
    [InlineData("<ReadAsync>d__5", "ReadAsync")]
    [InlineData("<Outer>b__1_0", "Outer")]
    public void TryGetSourceName_GeneratedName_ReadsTheSourceMethod(string generated, string expected)
    {
        Assert.True(StackFrameReader.TryGetSourceName(generated, out var name, out _));
        Assert.Equal(expected, name);
    }

    [Theory]
    [InlineData("Plain")]
    [InlineData("<")]
    [InlineData("<>")]
    public void TryGetSourceName_NotGenerated_ReturnsFalse(string name)
        => Assert.False(StackFrameReader.TryGetSourceName(name, out _, out _));

    [Fact]
    public void AddFrames_DynamicMethod_IsNotInApp()
    {
        var thrower = Expression.Lambda<Action>(Expression.Throw(Expression.New(typeof(InvalidOperationException)))).Compile();
        var exception = Assert.Throws<InvalidOperationException>(thrower);
        using var reader = new StackFrameReader(["System"], []);
        var value = new SentryExceptionValue();

        reader.AddFrames(exception, value);

        var dynamicFrame = Assert.Single(value.Frames, f => f.Module is null);
        Assert.False(dynamicFrame.InApp);
    }

    [Fact]
    public void AddFrames_LocalFunctionAndLambda_NamedBySourceMethod()
    {
        var exception = Record.Exception(() => Local());
        using var reader = new StackFrameReader([], []);
        var value = new SentryExceptionValue();

        reader.AddFrames(exception!, value);

        var functions = value.Frames.Select(f => f.Function).ToList();
        Assert.Contains(nameof(AddFrames_LocalFunctionAndLambda_NamedBySourceMethod) + ".Local", functions);
        Assert.Contains(nameof(AddFrames_LocalFunctionAndLambda_NamedBySourceMethod) + ".lambda", functions);

        static void Local() => throw new InvalidOperationException("local");
    }
}
