using System.IO.Compression;
using Microsoft.AspNetCore.Http.Features;

namespace ErrorReporting.Testing.Internal;

/// <summary>The checks of a request before its envelope is split: path, body, encoding and authentication. Each throws a <see cref="Refusal"/>.</summary>
internal static class RequestChecks
{
    /// <summary>The project id of a path <c>/api/{project_id}/envelope[/]</c> (leading and trailing <c>/</c> ignored), or <see langword="null"/>.</summary>
    public static string? ProjectIdOfPath(string? path)
        => (path ?? "").Trim('/').Split('/') is ["api", { Length: > 0 } projectId, "envelope"] ? projectId : null;

    /// <summary>Reads the body as sent, up to <see cref="Refusal.MaxEnvelopeBytes"/> (the request's <c>MaxRequestBodySize</c>).</summary>
    public static async Task<byte[]> ReadBodyAsync(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = Refusal.MaxEnvelopeBytes;
        }

        using var body = new MemoryStream((int)Math.Min(context.Request.ContentLength ?? 0, 64 * 1024)); // the claimed length, up to 64 KiB: it grows as the body arrives
        try
        {
            await context.Request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException exception)
        {
            throw exception.StatusCode == StatusCodes.Status413PayloadTooLarge ? Refusal.BodyTooLarge() : Refusal.BodyUnreadable(exception.StatusCode, exception.Message);
        }

        return body.ToArray();
    }

    /// <summary>Undoes the <c>Content-Encoding</c>: a list is applied in order, so it is undone in reverse.</summary>
    public static ReadOnlyMemory<byte> Decode(byte[] body, string contentEncoding)
    {
        var data = new ArraySegment<byte>(body);
        Span<byte> buffer = stackalloc byte[16 * 1024];
        foreach (var encoding in Enumerable.Reverse(contentEncoding.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var input = new MemoryStream(data.Array!, data.Offset, data.Count, writable: false);
            using Stream decoder = encoding.ToLowerInvariant() switch
            {
                "identity" => input,
                "gzip" or "x-gzip" => new GZipStream(input, CompressionMode.Decompress),
                "deflate" when IsZlibHeader(data) => new ZLibStream(input, CompressionMode.Decompress),
                "deflate" => new DeflateStream(input, CompressionMode.Decompress),
                "br" => new BrotliStream(input, CompressionMode.Decompress),
                _ => throw Refusal.UnsupportedEncoding(encoding),
            };
            try
            {
                using var output = new MemoryStream((int)Math.Min(data.Count * 16L, 1024 * 1024)); // JSON compresses about tenfold; at most 1 MiB ahead
                for (var read = decoder.Read(buffer); read > 0; read = decoder.Read(buffer))
                {
                    if (output.Length + read > Refusal.MaxEnvelopeBytes)
                    {
                        throw Refusal.DecompressedTooLarge();
                    }

                    output.Write(buffer[..read]);
                }

                data = new ArraySegment<byte>(output.GetBuffer(), 0, (int)output.Length);
            }
            catch (Exception exception) when (exception is InvalidDataException or InvalidOperationException) // BrotliStream throws the latter
            {
                throw Refusal.InvalidCompressedData(encoding, exception.Message);
            }
        }

        return data;
    }

    /// <summary>
    /// Checks the <c>X-Sentry-Auth</c> header (<c>Sentry key=value, key = value, …</c>; a repeated key counts with its
    /// last value) or, without one, the query string.
    /// </summary>
    public static void CheckAuthentication(HttpRequest request, string publicKey, string? secretKey)
    {
        var header = request.Headers["X-Sentry-Auth"].ToString();
        var source = header.Length > 0 ? "X-Sentry-Auth" : "the query string";
        var pairs = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (header.Length > 0)
        {
            header = header.Trim();
            if (!header.StartsWith("Sentry", StringComparison.OrdinalIgnoreCase) || header.Length == "Sentry".Length || !char.IsWhiteSpace(header["Sentry".Length]))
            {
                throw Refusal.AuthScheme(header);
            }

            foreach (var pair in header["Sentry".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                pairs[equals > 0 ? pair[..equals].Trim() : throw Refusal.AuthPair(pair)] = pair[(equals + 1)..].Trim();
            }
        }
        else if (request.Query.ContainsKey("sentry_key") || request.Query.ContainsKey("sentry_version"))
        {
            foreach (var (name, value) in request.Query)
            {
                pairs[name] = value.ToString() is { Length: > 0 } text ? text : null; // an empty value counts as missing
            }
        }
        else
        {
            throw Refusal.MissingAuthentication();
        }

        var (key, version, secret) = (pairs.GetValueOrDefault("sentry_key"), pairs.GetValueOrDefault("sentry_version"), pairs.GetValueOrDefault("sentry_secret"));
        var refusal = key is null ? Refusal.MissingKey(source)
            : key != publicKey ? Refusal.UnknownKey(key, source)
            : version is null ? Refusal.MissingVersion(source)
            : version != "7" ? Refusal.UnsupportedVersion(version, source)
            : secretKey is not null && secret != secretKey ? Refusal.Secret(secret is not null, source)
            : null;
        if (refusal is not null)
        {
            throw refusal;
        }
    }

    /// <summary>RFC 1950: CMF 0x?8 with a 32 KiB window or less, and (CMF*256 + FLG) divisible by 31; raw deflate otherwise.</summary>
    private static bool IsZlibHeader(ReadOnlySpan<byte> data)
        => data is [var cmf, var flg, ..] && (cmf & 0x0F) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
}
