# Varnish in front of the hardstatic image, as a CDN would be: a shared cache
# that follows the image's own Cache-Control, ETag and Vary.
#
#   varnishd -F -a :6081 -f examples/cdn/varnish.vcl -s malloc,256m -p http_gzip_support=off
#
# What the image sends and what this cache makes of it
# (integration/varnish_test.go checks each):
# - fingerprinted assets (app.3f9a1c2b.js): "public, max-age=31536000,
#   immutable" -> cached for a year, served from the cache;
# - HTML: "no-cache" and a strong ETag -> kept, but revalidated with the
#   origin on every request (If-None-Match -> 304), so a deploy shows at once;
# - every compressed response: "Vary: Accept-Encoding" -> one copy per
#   encoding, so a client that accepts only gzip never gets brotli (Varnish's
#   own gzip handling is off so that brotli and zstd reach clients that ask);
# - 404s ("no-store") and requests with Authorization (basic auth) -> never
#   stored (Varnish's built-in rules, which run after these subroutines).
vcl 4.1;

backend site {
    .host = "127.0.0.1";
    .port = "8080";
}

sub vcl_backend_response {
    # Keep a no-cache page with its ETag, stale from the start: every request
    # for it asks the origin (If-None-Match with the stored ETag), which
    # answers 304 while the page is unchanged, and the stored copy is sent.
    # (Varnish skips an object whose TTL is 0 when it looks up, leaving
    # nothing to revalidate, and an object is revalidated only once its own
    # TTL is over; hence a TTL of one microsecond.)
    if (!bereq.uncacheable && beresp.status == 200 && beresp.http.ETag &&
        beresp.http.Cache-Control ~ "(?i)(^|,)\s*no-cache\s*(,|$)" &&
        beresp.http.Cache-Control !~ "(?i)no-store|private" && !beresp.http.Set-Cookie) {
        set beresp.ttl = 0.001ms;
        set beresp.grace = 0s;
        set beresp.keep = 1d;
        if (beresp.was_304) {
            set beresp.http.X-Cache-Revalidated = "304";
        } else {
            unset beresp.http.X-Cache-Revalidated;
        }
        return (deliver);
    }
}

sub vcl_deliver {
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
