using ErrorReporting.AspNetCore.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ErrorReporting.AspNetCore.Tests;

public sealed class HttpContextExtensionsTests
{
    [Fact]
    public void Extensions_NullArguments_Throw()
    {
        var context = new DefaultHttpContext();

        Assert.Throws<ArgumentNullException>("httpContext", () => ErrorReportingHttpContextExtensions.SetErrorReportingTag(null!, "k", "v"));
        Assert.Throws<ArgumentNullException>("key", () => context.SetErrorReportingTag(null!, "v"));
        Assert.Throws<ArgumentNullException>("httpContext", () => ErrorReportingHttpContextExtensions.GetErrorReportingEventId(null!));
        Assert.Throws<ArgumentNullException>("httpContext", () => ErrorReportingHttpContextExtensions.CreateReportContext(null!));
    }

    [Fact]
    public void SetErrorReportingTag_NoRequestScope_ThrowsInvalidOperation()
    {
        var context = new DefaultHttpContext();

        var exception = Assert.Throws<InvalidOperationException>(() => context.SetErrorReportingTag("tenant", "acme"));

        Assert.Contains("AddErrorReportingAspNetCore", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SetErrorReportingTag_WithRequestScope_SetsAndRemovesTag()
    {
        using var scope = ErrorReportingScope.Begin();
        var context = new DefaultHttpContext();
        context.Features.Set(new ErrorReportingFeature(scope));

        context.SetErrorReportingTag("tenant", "acme");
        context.SetErrorReportingTag("step", "checkout");
        context.SetErrorReportingTag("step", null);

        Assert.Equal(new Dictionary<string, string> { ["tenant"] = "acme" }, scope.Tags);
    }

    [Fact]
    public void GetErrorReportingEventId_NothingReported_ReturnsEmpty()
    {
        var context = new DefaultHttpContext();

        Assert.Equal(SentryEventId.Empty, context.GetErrorReportingEventId());
    }

    [Fact]
    public void GetErrorReportingEventId_Reported_ReturnsTheId()
    {
        var id = new SentryEventId(Guid.NewGuid());
        var context = new DefaultHttpContext();
        context.Features.Set(new ErrorReportingFeature(scope: null) { EventId = id });

        Assert.Equal(id, context.GetErrorReportingEventId());
    }

    [Fact]
    public void CreateReportContext_NotRegistered_ThrowsInvalidOperation()
    {
        using var services = new ServiceCollection().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };

        var exception = Assert.Throws<InvalidOperationException>(() => context.CreateReportContext());

        Assert.Contains("AddErrorReportingAspNetCore", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateReportContext_Registered_CarriesTheRequest()
    {
        using var services = new ServiceCollection().AddErrorReportingAspNetCore().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Request.Method = "POST";
        context.Request.Scheme = "https";
        context.Request.Host = new HostString("shop.example", 8443);
        context.Request.PathBase = "/api";
        context.Request.Path = "/carts/1";
        context.Request.QueryString = new QueryString("?apiKey=k1&item=3");

        var report = context.CreateReportContext();

        Assert.Equal("POST", report.Request?.Method);
        Assert.Equal("https://shop.example:8443/api/carts/1", report.Request?.Url);
        Assert.Equal("apiKey=[Filtered]&item=3", report.Request?.QueryString);
        Assert.Equal("shop.example:8443", report.Request?.Headers["Host"]);
        Assert.Null(report.Transaction);
        Assert.Null(report.User);
    }
}
