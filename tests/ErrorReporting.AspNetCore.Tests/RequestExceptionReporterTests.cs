using ErrorReporting.AspNetCore.Internal;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NSubstitute;
using NSubstitute.ExceptionExtensions;

namespace ErrorReporting.AspNetCore.Tests;

/// <summary>The reporter behind the exception handler and the developer-page filter, against a substitute <see cref="IErrorReporter"/>.</summary>
public sealed class RequestExceptionReporterTests
{
    private static readonly SentryId s_id = SentryId.Create();

    [Theory]
    [InlineData("GET", "orders/{id}", "GET /orders/{id}")]
    [InlineData("POST", "/carts/{cartId}/items", "POST /carts/{cartId}/items")]
    [InlineData("DELETE", "", "DELETE /")]
    [InlineData("GET", "/", "GET /")]
    public void TransactionOf_RouteEndpoint_MethodAndTemplateWithOneLeadingSlash(string method, string template, string expected)
        => Assert.Equal(expected, RequestExceptionReporter.TransactionOf(method, Route(template)));

    [Fact]
    public void TransactionOf_NoRouteTemplate_Null()
    {
        Assert.Null(RequestExceptionReporter.TransactionOf("GET", null));
        Assert.Null(RequestExceptionReporter.TransactionOf("GET", new Endpoint(_ => Task.CompletedTask, EndpointMetadataCollection.Empty, "plain")));
    }

    [Fact]
    public void Report_Reported_SetsFeatureHeaderAndTransaction()
    {
        var reporter = EnabledReporter();
        Action<Scope>? configure = null;
        reporter.ReportUnhandled(Arg.Any<Exception>(), Arg.Any<string>(), Arg.Do<Action<Scope>?>(c => configure = c)).Returns(s_id);
        var context = new DefaultHttpContext();
        context.Request.Method = "PUT";
        var exception = new InvalidOperationException("x");

        var id = NewReporter(reporter).Report(context, exception, AspNetCoreMechanisms.ExceptionHandler, Feature(Route("orders/{id}")));

        Assert.Equal(s_id, id);
        reporter.Received(1).ReportUnhandled(exception, AspNetCoreMechanisms.ExceptionHandler, Arg.Any<Action<Scope>?>());
        Assert.Equal(s_id, context.GetErrorReportingEventId());
        Assert.Equal(s_id.ToString(), context.Response.Headers[ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader]);
        var scope = new Scope(new SentryOptions());
        Assert.NotNull(configure);
        configure(scope);
        Assert.Equal("PUT /orders/{id}", scope.TransactionName);
    }

    [Fact]
    public void Report_HandlerFeatureWithoutEndpoint_UsesTheRequestsEndpoint()
    {
        var reporter = EnabledReporter();
        Action<Scope>? configure = null;
        reporter.ReportUnhandled(Arg.Any<Exception>(), Arg.Any<string>(), Arg.Do<Action<Scope>?>(c => configure = c)).Returns(s_id);
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.SetEndpoint(Route("shops/{shop}"));

        NewReporter(reporter).Report(context, new InvalidOperationException("x"), AspNetCoreMechanisms.DeveloperExceptionPage, handlerFeature: null);

        var scope = new Scope(new SentryOptions());
        configure!(scope);
        Assert.Equal("GET /shops/{shop}", scope.TransactionName);
    }

    [Fact]
    public void Report_NoRoute_ReportsWithoutScopeCallback()
    {
        var reporter = EnabledReporter();
        reporter.ReportUnhandled(Arg.Any<Exception>(), Arg.Any<string>(), Arg.Any<Action<Scope>?>()).Returns(s_id);
        var context = new DefaultHttpContext();

        Assert.Equal(s_id, NewReporter(reporter).Report(context, new InvalidOperationException("x"), AspNetCoreMechanisms.ExceptionHandler, handlerFeature: null));

        reporter.Received(1).ReportUnhandled(Arg.Any<Exception>(), AspNetCoreMechanisms.ExceptionHandler, null);
    }

    [Theory]
    [InlineData(" X-Error-Id ", "X-Error-Id")]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("  ", null)]
    public void Report_HeaderName_TrimmedOrNone(string? configured, string? expected)
    {
        var reporter = EnabledReporter();
        reporter.ReportUnhandled(Arg.Any<Exception>(), Arg.Any<string>(), Arg.Any<Action<Scope>?>()).Returns(s_id);
        var context = new DefaultHttpContext();

        NewReporter(reporter, new ErrorReportingAspNetCoreOptions { EventIdResponseHeader = configured }).Report(context, new InvalidOperationException("x"), AspNetCoreMechanisms.ExceptionHandler, null);

        if (expected is null)
        {
            Assert.Empty(context.Response.Headers);
        }
        else
        {
            Assert.Equal(s_id.ToString(), Assert.Single(context.Response.Headers, h => h.Key == expected).Value);
        }

        Assert.Equal(s_id, context.GetErrorReportingEventId());
    }

    [Fact]
    public void Report_ResponseAlreadyStarted_NoHeaderButTheFeature()
    {
        var reporter = EnabledReporter();
        reporter.ReportUnhandled(Arg.Any<Exception>(), Arg.Any<string>(), Arg.Any<Action<Scope>?>()).Returns(s_id);
        var context = new DefaultHttpContext();
        context.Features.Set<IHttpResponseFeature>(new StartedResponseFeature());

        NewReporter(reporter).Report(context, new InvalidOperationException("x"), AspNetCoreMechanisms.ExceptionHandler, null);

        Assert.Empty(context.Response.Headers);
        Assert.Equal(s_id, context.GetErrorReportingEventId());
    }

    [Fact]
    public void Report_NotAccepted_NoFeatureNoHeader()
    {
        var reporter = EnabledReporter();
        reporter.ReportUnhandled(Arg.Any<Exception>(), Arg.Any<string>(), Arg.Any<Action<Scope>?>()).Returns(SentryId.Empty);
        var context = new DefaultHttpContext();

        Assert.Equal(SentryId.Empty, NewReporter(reporter).Report(context, new InvalidOperationException("x"), AspNetCoreMechanisms.ExceptionHandler, null));

        Assert.Null(context.Features.Get<ErrorReportingFeature>());
        Assert.Empty(context.Response.Headers);
    }

    [Fact]
    public void Report_Disabled_NothingReported()
    {
        var reporter = Substitute.For<IErrorReporter>();
        var context = new DefaultHttpContext();

        Assert.Equal(SentryId.Empty, NewReporter(reporter).Report(context, new InvalidOperationException("x"), AspNetCoreMechanisms.ExceptionHandler, null));

        reporter.DidNotReceiveWithAnyArgs().ReportUnhandled(default!, default!, default);
    }

    [Theory]
    [InlineData(typeof(OperationCanceledException))]
    [InlineData(typeof(TaskCanceledException))]
    [InlineData(typeof(IOException))]
    public void Report_ClientAbortedTheRequest_NotReported(Type exceptionType)
    {
        var reporter = EnabledReporter();
        using var aborted = new CancellationTokenSource();
        aborted.Cancel();
        var context = new DefaultHttpContext { RequestAborted = aborted.Token };

        var id = NewReporter(reporter).Report(context, (Exception)Activator.CreateInstance(exceptionType)!, AspNetCoreMechanisms.ExceptionHandler, null);

        Assert.Equal(SentryId.Empty, id);
        reporter.DidNotReceiveWithAnyArgs().ReportUnhandled(default!, default!, default);
    }

    [Fact]
    public void Report_CancellationWithoutAbortedRequest_Reported()
    {
        var reporter = EnabledReporter();
        reporter.ReportUnhandled(Arg.Any<Exception>(), Arg.Any<string>(), Arg.Any<Action<Scope>?>()).Returns(s_id);

        var id = NewReporter(reporter).Report(new DefaultHttpContext(), new OperationCanceledException(), AspNetCoreMechanisms.ExceptionHandler, null);

        Assert.Equal(s_id, id);
    }

    [Fact]
    public void Report_ReporterThrows_ReturnsEmptyAndDoesNotThrow()
    {
        var reporter = EnabledReporter();
        reporter.ReportUnhandled(default!, default!, default).ThrowsForAnyArgs(new InvalidOperationException("Reporter broke."));
        var context = new DefaultHttpContext();

        Assert.Equal(SentryId.Empty, NewReporter(reporter).Report(context, new FormatException("x"), AspNetCoreMechanisms.ExceptionHandler, null));

        Assert.Empty(context.Response.Headers);
    }

    [Fact]
    public async Task ExceptionHandler_TryHandleAsync_ReportsWithItsMechanismAndReturnsFalse()
    {
        var reporter = EnabledReporter();
        reporter.ReportUnhandled(Arg.Any<Exception>(), Arg.Any<string>(), Arg.Any<Action<Scope>?>()).Returns(s_id);
        var handler = new ErrorReportingExceptionHandler(NewReporter(reporter));
        var context = new DefaultHttpContext();
        var exception = new InvalidOperationException("x");

        Assert.False(await handler.TryHandleAsync(context, exception, CancellationToken.None));

        reporter.Received(1).ReportUnhandled(exception, AspNetCoreMechanisms.ExceptionHandler, Arg.Any<Action<Scope>?>());
    }

    [Fact]
    public async Task DeveloperPageFilter_HandleExceptionAsync_ReportsThenCallsNext()
    {
        var reporter = EnabledReporter();
        reporter.ReportUnhandled(Arg.Any<Exception>(), Arg.Any<string>(), Arg.Any<Action<Scope>?>()).Returns(s_id);
        var filter = new ErrorReportingDeveloperPageExceptionFilter(NewReporter(reporter));
        var context = new DefaultHttpContext();
        var exception = new InvalidOperationException("x");
        var nextCalled = false;

        await filter.HandleExceptionAsync(new ErrorContext(context, exception), _ =>
        {
            nextCalled = true;
            return Task.CompletedTask;
        });

        Assert.True(nextCalled);
        reporter.Received(1).ReportUnhandled(exception, AspNetCoreMechanisms.DeveloperExceptionPage, Arg.Any<Action<Scope>?>());
        await Assert.ThrowsAsync<ArgumentNullException>("errorContext", () => filter.HandleExceptionAsync(null!, _ => Task.CompletedTask));
        await Assert.ThrowsAsync<ArgumentNullException>("next", () => filter.HandleExceptionAsync(new ErrorContext(context, exception), null!));
    }

    private static IErrorReporter EnabledReporter()
    {
        var reporter = Substitute.For<IErrorReporter>();
        reporter.IsEnabled.Returns(true);
        return reporter;
    }

    private static RequestExceptionReporter NewReporter(IErrorReporter reporter, ErrorReportingAspNetCoreOptions? options = null)
        => new(reporter, Options.Create(options ?? new ErrorReportingAspNetCoreOptions()), NullLoggerFactory.Instance);

    private static RouteEndpoint Route(string template)
        => new(_ => Task.CompletedTask, RoutePatternFactory.Parse(template), 0, EndpointMetadataCollection.Empty, template);

    private static ExceptionHandlerFeature Feature(Endpoint endpoint) => new() { Endpoint = endpoint, Error = new InvalidOperationException("x"), Path = "/" };

    private sealed class StartedResponseFeature : HttpResponseFeature
    {
        public override bool HasStarted => true;
    }
}
