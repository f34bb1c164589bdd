using System.Linq.Expressions;
using ErrorReporting.StackTraces;

namespace ErrorReporting.Tests.StackTraces;

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
    public void ReadFrames_DynamicMethod_IsNotInApp()
    {
        var thrower = Expression.Lambda<Action>(Expression.Throw(Expression.New(typeof(InvalidOperationException)))).Compile();
        var exception = Assert.Throws<InvalidOperationException>(thrower);
        var reader = new StackFrameReader(new SentryOptions());

        var frames = reader.ReadFrames(exception);

        var dynamicFrame = Assert.Single(frames, f => f.Module is null);
        Assert.False(dynamicFrame.InApp);
    }

    [Fact]
    public void ReadFrames_LocalFunctionAndLambda_NamedBySourceMethod()
    {
        var exception = Record.Exception(() => Local());
        var reader = new StackFrameReader(new SentryOptions());

        var frames = reader.ReadFrames(exception!);

        var functions = frames.Select(f => f.Function).ToList();
        Assert.Contains(nameof(ReadFrames_LocalFunctionAndLambda_NamedBySourceMethod) + ".Local", functions);
        Assert.Contains(nameof(ReadFrames_LocalFunctionAndLambda_NamedBySourceMethod) + ".lambda", functions);

        static void Local() => throw new InvalidOperationException("local");
    }

    [Theory]
    [InlineData("Thrower.Inner(Int32) + 0x36 at offset 54 in file:line:column <filename unknown>:0:0", "Inner", "Thrower", true)]
    [InlineData("Shop.Orders.OrderService.Place(Order, Boolean) + 0x1f", "Place", "Shop.Orders.OrderService", true)]
    [InlineData("System.Threading.Tasks.Task.Wait() + 0x5", "Wait", "System.Threading.Tasks.Task", false)]
    [InlineData("Program.<Main>$(String[] args) + 0x31 at offset 49", "Main", "Program", true)]
    [InlineData("Shop.Checkout.<PlaceAsync>d__3.MoveNext() + 0x40", "PlaceAsync", "Shop.Checkout", true)]
    [InlineData("Shop.Checkout.<>c.<Place>b__0_0(Order) + 0x1", "Place.lambda", "Shop.Checkout", true)]
    [InlineData("Shop.Checkout.<Place>g__Validate|2_0() + 0x9", "Place.Validate", "Shop.Checkout", true)]
    public void DescribeWithoutMetadata_NativeAotFrameText_ReadsFunctionModuleAndInApp(string text, string function, string module, bool inApp)
    {
        var reader = new StackFrameReader(new SentryOptions());

        var data = reader.DescribeWithoutMetadata(text);

        Assert.NotNull(data);
        Assert.Equal(function, data.Function);
        Assert.Equal(module, data.Module);
        Assert.Equal(inApp, data.InApp);
    }

    [Theory]
    [InlineData("<unknown>")]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("0x00007F3A12345678 + 0x10")]
    public void DescribeWithoutMetadata_NoMethodName_ReturnsNull(string text)
    {
        var reader = new StackFrameReader(new SentryOptions());

        Assert.Null(reader.DescribeWithoutMetadata(text));
    }
}
