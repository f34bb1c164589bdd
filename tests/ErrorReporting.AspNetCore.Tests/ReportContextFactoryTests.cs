using System.Net;
using System.Security.Claims;
using ErrorReporting.AspNetCore.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Options;

namespace ErrorReporting.AspNetCore.Tests;

public sealed class ReportContextFactoryTests
{
    [Theory]
    [InlineData("page=2", "page=2")]
    [InlineData("token=abc&page=2", "token=[Filtered]&page=2")]
    [InlineData("access_token=a&api_key=b&apiKey=c&client_secret=d&password=e&pwd=f&code=g&sig=h&X-Amz-Signature=i&sessionid=j&auth=k",
        "access_token=[Filtered]&api_key=[Filtered]&apiKey=[Filtered]&client_secret=[Filtered]&password=[Filtered]&pwd=[Filtered]&code=[Filtered]&sig=[Filtered]&X-Amz-Signature=[Filtered]&sessionid=[Filtered]&auth=[Filtered]")]
    [InlineData("TOKEN=abc", "TOKEN=[Filtered]")]
    [InlineData("to%6Ben=abc&q=a+b", "to%6Ben=[Filtered]&q=a+b")]
    [InlineData("api+key=abc", "api+key=[Filtered]")]
    [InlineData("token", "token=[Filtered]")]
    [InlineData("a=1&&b=2&=x", "a=1&&b=2&=x")]
    public void FilterQuery_SecretLookingParameters_AreFiltered(string query, string expected)
    {
        Assert.Equal(expected, CreateFactory().FilterQuery(query));
    }

    [Fact]
    public void FilterQuery_Empty_ReturnsNull()
    {
        Assert.Null(CreateFactory().FilterQuery(""));
    }

    [Theory]
    [InlineData("https://a.example/x", "https://a.example/x")]
    [InlineData("https://a.example/x?token=t&n=1#frag", "https://a.example/x?token=[Filtered]&n=1")]
    [InlineData("https://a.example/x?", "https://a.example/x")]
    public void FilterUrl_QueryFilteredAndFragmentDropped(string url, string expected)
    {
        Assert.Equal(expected, CreateFactory().FilterUrl(url));
    }

    [Fact]
    public void IsSensitive_CustomList_ReplacesDefaults()
    {
        var options = new ErrorReportingAspNetCoreOptions();
        options.SensitiveNames.Clear();
        options.SensitiveNames.Add("ssn");
        options.SensitiveNames.Add(" ");

        var factory = CreateFactory(options);

        Assert.True(factory.IsSensitive("customer_SSN"));
        Assert.False(factory.IsSensitive("token"));
    }

    [Theory]
    [InlineData("/orders/{id}", "GET /orders/{id}")]
    [InlineData("orders/{id:int}", "GET /orders/{id:int}")]
    [InlineData("/", "GET /")]
    public void TransactionOf_RouteEndpoint_IsMethodAndTemplate(string template, string expected)
    {
        var endpoint = new RouteEndpoint(_ => Task.CompletedTask, RoutePatternFactory.Parse(template), 0, EndpointMetadataCollection.Empty, "test");

        Assert.Equal(expected, ReportContextFactory.TransactionOf("GET", endpoint));
    }

    [Fact]
    public void TransactionOf_NoRouteEndpoint_IsNull()
    {
        Assert.Null(ReportContextFactory.TransactionOf("GET", null));
        Assert.Null(ReportContextFactory.TransactionOf("GET", new Endpoint(_ => Task.CompletedTask, EndpointMetadataCollection.Empty, "plain")));
    }

    [Fact]
    public void Create_SendRequestHeadersOff_SendsNoHeaders()
    {
        var options = new ErrorReportingAspNetCoreOptions { SendRequestHeaders = false };
        var context = CreateRequest();

        var report = CreateFactory(options).Create(context, handlerFeature: null);

        Assert.Empty(report.Request!.Headers);
    }

    [Fact]
    public void Create_CustomDeniedHeader_IsNotSent()
    {
        var options = new ErrorReportingAspNetCoreOptions();
        options.DeniedRequestHeaders.Add("X-Tenant");
        var context = CreateRequest();
        context.Request.Headers["X-Tenant"] = "acme";
        context.Request.Headers["X-Trace"] = "t1";

        var report = CreateFactory(options).Create(context, handlerFeature: null);

        Assert.False(report.Request!.Headers.ContainsKey("X-Tenant"));
        Assert.Equal("t1", report.Request.Headers["X-Trace"]);
    }

    [Fact]
    public void Create_RepeatedHeader_ValuesJoined()
    {
        var context = CreateRequest();
        context.Request.Headers["Accept-Language"] = new(["en", "fr"]);

        var report = CreateFactory().Create(context, handlerFeature: null);

        Assert.Equal("en, fr", report.Request!.Headers["Accept-Language"]);
    }

    [Fact]
    public void Create_SendDefaultPiiWithMappedAddressAndAnonymousUser_SendsIPv4AddressOnly()
    {
        var context = CreateRequest();
        context.Connection.RemoteIpAddress = IPAddress.Parse("::ffff:192.0.2.7");
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "not-authenticated")]));

        var report = CreateFactory(sendDefaultPii: true).Create(context, handlerFeature: null);

        Assert.Equal("192.0.2.7", report.User?.IpAddress);
        Assert.Null(report.User?.Username);
    }

    [Fact]
    public void Create_SendDefaultPiiWithoutAddressOrUser_SendsNoUser()
    {
        var report = CreateFactory(sendDefaultPii: true).Create(CreateRequest(), handlerFeature: null);

        Assert.Null(report.User);
    }

    [Fact]
    public void Create_WithoutSendDefaultPii_SendsNoUser()
    {
        var context = CreateRequest();
        context.Connection.RemoteIpAddress = IPAddress.Loopback;
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "alice")], "Test"));

        var report = CreateFactory().Create(context, handlerFeature: null);

        Assert.Null(report.User);
    }

    [Fact]
    public void Create_OutsideTheRequestScopeFlow_CarriesTheScopeTagsOnTheCall()
    {
        var context = CreateRequest();
        ErrorReportingScope scope;
        using (scope = ErrorReportingScope.Begin())
        {
            scope.SetTag("tenant", "acme");
        }

        context.Features.Set(new ErrorReportingFeature(scope));

        var report = CreateFactory().Create(context, handlerFeature: null);

        Assert.Null(ErrorReportingScope.Current);
        Assert.Equal("acme", report.Tags["tenant"]);
    }

    [Fact]
    public void Create_InsideTheRequestScopeFlow_LeavesTagsToTheScope()
    {
        var context = CreateRequest();
        using var scope = ErrorReportingScope.Begin();
        scope.SetTag("tenant", "acme");
        context.Features.Set(new ErrorReportingFeature(scope));

        var report = CreateFactory().Create(context, handlerFeature: null);

        Assert.Empty(report.Tags);
    }

    private static DefaultHttpContext CreateRequest()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Request.Scheme = "http";
        context.Request.Host = new HostString("localhost", 5000);
        context.Request.Path = "/x";
        return context;
    }

    private static ReportContextFactory CreateFactory(ErrorReportingAspNetCoreOptions? options = null, bool sendDefaultPii = false)
        => new(Options.Create(options ?? new ErrorReportingAspNetCoreOptions()), Options.Create(new ErrorReportingOptions { SendDefaultPii = sendDefaultPii }));
}
