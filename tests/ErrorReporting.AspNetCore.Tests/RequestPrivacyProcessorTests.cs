using ErrorReporting.AspNetCore.Internal;

namespace ErrorReporting.AspNetCore.Tests;

/// <summary>The request-data filter on its own: query strings, URLs, header names, and the event it edits.</summary>
public sealed class RequestPrivacyProcessorTests
{
    [Theory]
    [InlineData("token=abc&page=2", "token=[Filtered]&page=2")]
    [InlineData("page=2&api_key=k&sort=name", "page=2&api_key=[Filtered]&sort=name")]
    [InlineData("Access_Token=a&PASSWORD=b&apiKey=c&client_secret=d", "Access_Token=[Filtered]&PASSWORD=[Filtered]&apiKey=[Filtered]&client_secret=[Filtered]")]
    [InlineData("code=oauth&state=xyz", "code=[Filtered]&state=xyz")]
    [InlineData("X-Amz-Signature=abc&X-Amz-Date=20240101", "X-Amz-Signature=[Filtered]&X-Amz-Date=20240101")]
    [InlineData("access%5Ftoken=a&my+token=b", "access%5Ftoken=[Filtered]&my+token=[Filtered]")]
    [InlineData("token", "token=[Filtered]")]
    [InlineData("token=", "token=[Filtered]")]
    [InlineData("token=a=b&x=1", "token=[Filtered]&x=1")]
    [InlineData("token=a&token=b", "token=[Filtered]&token=[Filtered]")]
    [InlineData("page=2&&sort=name", "page=2&&sort=name")]
    [InlineData("=token&page=2", "=token&page=2")]
    [InlineData("q=my%20token&page=2", "q=my%20token&page=2")]
    [InlineData("", "")]
    [InlineData("zipcode=12345&author=me", "zipcode=[Filtered]&author=[Filtered]")]
    public void FilterQuery_Parameters_SecretLookingValuesFiltered(string query, string expected)
    {
        var processor = NewProcessor();

        Assert.Equal(expected, processor.FilterQuery(query));
    }

    [Fact]
    public void FilterQuery_MalformedEscapeInName_KeepsTheParameterAsItIs()
    {
        var processor = NewProcessor();

        Assert.Equal("a%ZZ=1&token=[Filtered]", processor.FilterQuery("a%ZZ=1&token=2"));
    }

    [Theory]
    [InlineData("http://127.0.0.1/login?access_token=x&next=%2Forders", "http://127.0.0.1/login?access_token=[Filtered]&next=%2Forders")]
    [InlineData("https://shop.example/p?id=1#token=frag", "https://shop.example/p?id=1")]
    [InlineData("https://shop.example/p#section", "https://shop.example/p")]
    [InlineData("https://shop.example/p", "https://shop.example/p")]
    [InlineData("https://shop.example/p?", "https://shop.example/p?")]
    [InlineData("/relative?session=abc", "/relative?session=[Filtered]")]
    public void FilterUrl_Url_QueryFilteredAndFragmentDropped(string url, string expected)
    {
        var processor = NewProcessor();

        Assert.Equal(expected, processor.FilterUrl(url));
    }

    [Theory]
    [InlineData("Request starting HTTP/1.1 GET http://127.0.0.1:5000/orders/7?token=t1&page=2 - - -", "Request starting HTTP/1.1 GET http://127.0.0.1:5000/orders/7?token=[Filtered]&page=2 - - -")]
    [InlineData("Calling /api/x?api_key=k1 and /api/y?password=p1#frag", "Calling /api/x?api_key=[Filtered] and /api/y?password=[Filtered]#frag")]
    [InlineData("Redirect to 'https://idp.example/cb?code=c1&state=s'", "Redirect to 'https://idp.example/cb?code=[Filtered]&state=s'")]
    [InlineData("Executing endpoint 'HTTP: GET /orders/{id}'", "Executing endpoint 'HTTP: GET /orders/{id}'")]
    [InlineData("Is it done? token=x", "Is it done? token=x")]
    [InlineData("GET /search?q=shoes", "GET /search?q=shoes")]
    [InlineData("", "")]
    public void FilterText_UrlsInFreeText_QueryFiltered(string text, string expected)
        => Assert.Equal(expected, NewProcessor().FilterText(text));

    [Fact]
    public void Process_BreadcrumbsWithSecretQueries_CopiesFilteredKeepingTheRest()
    {
        var processor = NewProcessor();
        var sentryEvent = new SentryEvent();
        var timestamp = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
        var leaky = Breadcrumb.FromJson(System.Text.Json.JsonDocument.Parse(
            """{"timestamp":"2026-01-02T03:04:05.678Z","message":"GET http://h/p?token=secret-1&page=2","type":"http","data":{"url":"http://h/p?session=secret-2","eventId":"1"},"category":"Microsoft.AspNetCore.Hosting.Diagnostics","level":"warning"}""").RootElement);
        var clean = new Breadcrumb("Executing endpoint", "default");
        sentryEvent.AddBreadcrumb(leaky);
        sentryEvent.AddBreadcrumb(clean);

        var breadcrumbs = processor.Process(sentryEvent)!.Breadcrumbs.ToArray();

        Assert.Equal(2, breadcrumbs.Length);
        var filtered = breadcrumbs[0];
        Assert.Equal("GET http://h/p?token=[Filtered]&page=2", filtered.Message);
        Assert.Equal("http://h/p?session=[Filtered]", filtered.Data!["url"]);
        Assert.Equal("1", filtered.Data["eventId"]);
        Assert.Equal(timestamp, filtered.Timestamp);
        Assert.Equal("http", filtered.Type);
        Assert.Equal("Microsoft.AspNetCore.Hosting.Diagnostics", filtered.Category);
        Assert.Equal(BreadcrumbLevel.Warning, filtered.Level);
        Assert.Same(clean, breadcrumbs[1]);
    }

    [Fact]
    public void Process_WithSendDefaultPii_BreadcrumbsUntouched()
    {
        var processor = new RequestPrivacyProcessor(new SentryOptions { SendDefaultPii = true }, new ErrorReportingAspNetCoreOptions());
        var sentryEvent = new SentryEvent();
        var breadcrumb = new Breadcrumb("GET /p?token=secret", "default");
        sentryEvent.AddBreadcrumb(breadcrumb);

        Assert.Same(breadcrumb, Assert.Single(processor.Process(sentryEvent)!.Breadcrumbs));
    }

    [Theory]
    [InlineData("X-Api-Key", true)]
    [InlineData("x-custom-token", true)]
    [InlineData("X-Session-Id", true)]
    [InlineData("Accept", false)]
    [InlineData("User-Agent", false)]
    [InlineData("page", false)]
    public void IsSensitive_DefaultNames_ContainsAFragmentCaseInsensitively(string name, bool expected)
    {
        var processor = NewProcessor();

        Assert.Equal(expected, processor.IsSensitive(name));
    }

    [Fact]
    public void IsSensitive_ConfiguredNames_BlankEntriesIgnoredAndEntriesTrimmed()
    {
        var options = new ErrorReportingAspNetCoreOptions();
        options.SensitiveNames.Clear();
        options.SensitiveNames.Add(" ssn ");
        options.SensitiveNames.Add("");
        options.SensitiveNames.Add("   ");
        var processor = new RequestPrivacyProcessor(new SentryOptions(), options);

        Assert.True(processor.IsSensitive("customer_SSN"));
        Assert.False(processor.IsSensitive("token"));
        Assert.False(processor.IsSensitive("page"));
    }

    [Fact]
    public void Process_WithoutSendDefaultPii_RemovesDeniedAndSensitiveHeadersCookiesAndClientAddress()
    {
        var processor = NewProcessor();
        var sentryEvent = EventWithRequest();

        var processed = processor.Process(sentryEvent);

        Assert.Same(sentryEvent, processed);
        var request = processed!.Request;
        Assert.Equal("?token=[Filtered]&page=2", request.QueryString);
        Assert.Null(request.Cookies);
        Assert.False(request.Env.ContainsKey("REMOTE_ADDR"));
        Assert.Equal("7000", request.Env["SERVER_PORT"]);
        Assert.Equal(["Accept", "Referer"], request.Headers.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("https://shop.example/a?password=[Filtered]", request.Headers["Referer"]);
    }

    [Fact]
    public void Process_QueryStringWithoutQuestionMark_FilteredWithoutAddingOne()
    {
        var processor = NewProcessor();
        var sentryEvent = new SentryEvent();
        sentryEvent.Request.Url = "https://shop.example/orders";
        sentryEvent.Request.QueryString = "secret=1&page=2";

        Assert.Equal("secret=[Filtered]&page=2", processor.Process(sentryEvent)!.Request.QueryString);
    }

    [Fact]
    public void Process_CustomDeniedHeader_Removed()
    {
        var options = new ErrorReportingAspNetCoreOptions();
        options.DeniedRequestHeaders.Add(" X-Tenant ");
        var processor = new RequestPrivacyProcessor(new SentryOptions(), options);
        var sentryEvent = new SentryEvent();
        sentryEvent.Request.Url = "https://shop.example/orders";
        sentryEvent.Request.Headers["x-tenant"] = "acme";
        sentryEvent.Request.Headers["X-Request-Id"] = "r1";

        var request = processor.Process(sentryEvent)!.Request;

        Assert.Equal(["X-Request-Id"], request.Headers.Keys);
    }

    [Fact]
    public void Process_WithSendDefaultPii_LeavesTheRequestAsItIs()
    {
        var processor = new RequestPrivacyProcessor(new SentryOptions { SendDefaultPii = true }, new ErrorReportingAspNetCoreOptions());
        var sentryEvent = EventWithRequest();

        var request = processor.Process(sentryEvent)!.Request;

        Assert.Equal("?token=abc&page=2", request.QueryString);
        Assert.Equal("session=s1", request.Cookies);
        Assert.Equal("127.0.0.1", request.Env["REMOTE_ADDR"]);
        Assert.Equal("k", request.Headers["X-Api-Key"]);
    }

    [Fact]
    public void Process_EventWithoutRequestUrl_Untouched()
    {
        var processor = NewProcessor();
        var sentryEvent = new SentryEvent();
        sentryEvent.Request.QueryString = "token=abc";

        Assert.Equal("token=abc", processor.Process(sentryEvent)!.Request.QueryString);
    }

    [Fact]
    public void Process_NullEvent_Throws()
        => Assert.Throws<ArgumentNullException>("@event", () => NewProcessor().Process(null!));

    [Fact]
    public void RequestPrivacySetup_DefaultOptionsOnly_AddsTheProcessorOnce()
    {
        var setup = new RequestPrivacySetup<SentryOptions>(Microsoft.Extensions.Options.Options.Create(new ErrorReportingAspNetCoreOptions()));
        var sentryOptions = new SentryOptions { Dsn = "http://key@127.0.0.1:1/1" };
        var named = new SentryOptions { Dsn = "http://key@127.0.0.1:1/1" };

        setup.PostConfigure(Microsoft.Extensions.Options.Options.DefaultName, sentryOptions);
        setup.PostConfigure("other", named);

        var processor = Assert.Single(sentryOptions.GetAllEventProcessors().OfType<RequestPrivacyProcessor>());
        Assert.Equal("?token=[Filtered]&page=2", processor.Process(EventWithRequest())!.Request.QueryString);
        Assert.Empty(named.GetAllEventProcessors().OfType<RequestPrivacyProcessor>());
        Assert.Throws<ArgumentNullException>("sentryOptions", () => setup.PostConfigure(null, null!));
    }

    private static RequestPrivacyProcessor NewProcessor() => new(new SentryOptions(), new ErrorReportingAspNetCoreOptions());

    private static SentryEvent EventWithRequest()
    {
        var sentryEvent = new SentryEvent(new InvalidOperationException("x"));
        var request = sentryEvent.Request;
        request.Url = "https://shop.example/orders";
        request.Method = "GET";
        request.QueryString = "?token=abc&page=2";
        request.Cookies = "session=s1";
        request.Env["REMOTE_ADDR"] = "127.0.0.1";
        request.Env["SERVER_PORT"] = "7000";
        request.Headers["Accept"] = "application/json";
        request.Headers["Authorization"] = "Bearer b";
        request.Headers["Cookie"] = "session=s1";
        request.Headers["X-Api-Key"] = "k";
        request.Headers["X-Forwarded-For"] = "203.0.113.1";
        request.Headers["X-Custom-Token"] = "t";
        request.Headers["Referer"] = "https://shop.example/a?password=p";
        return sentryEvent;
    }
}
