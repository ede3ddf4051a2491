import HTTPTypes
import Hummingbird
import NIOCore

/// The console's stylesheet and script, compiled into the binary (nothing is loaded from elsewhere).
enum ConsoleAssets {
    static func register(on router: Router<ArbiterRequestContext>) {
        router.get("/console/assets/{name}") { _, context -> Response in
            let name = try context.parameters.require("name")
            let asset: (body: String, type: String)
            switch name {
            case "console.css": asset = (Self.css, "text/css; charset=utf-8")
            case "console.js": asset = (Self.script, "text/javascript; charset=utf-8")
            default: throw APIError(.notFound, code: "not_found", message: "no console asset \(name)", field: "name")
            }
            var headers = HTTPFields()
            headers[.contentType] = asset.type
            headers[.cacheControl] = "public, max-age=3600"
            headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: asset.body)))
        }
    }

    static let css = """
        :root{color-scheme:light dark;--bg:#fff;--fg:#1b1f24;--muted:#5b6470;--line:#d8dde3;--panel:#f5f7f9;--accent:#1f6feb;--ok:#1a7f37;--warn:#9a6700;--bad:#cf222e;--chip:#eaeef2}
        @media (prefers-color-scheme:dark){:root:not([data-theme=light]){--bg:#0d1117;--fg:#e6edf3;--muted:#9aa4af;--line:#30363d;--panel:#161b22;--accent:#4493f8;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--chip:#21262d}}
        :root[data-theme=dark]{--bg:#0d1117;--fg:#e6edf3;--muted:#9aa4af;--line:#30363d;--panel:#161b22;--accent:#4493f8;--ok:#3fb950;--warn:#d29922;--bad:#f85149;--chip:#21262d}
        *{box-sizing:border-box}
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;background:var(--bg);color:var(--fg)}
        a{color:var(--accent)}
        a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:2px solid var(--accent);outline-offset:2px}
        header{display:flex;flex-wrap:wrap;align-items:center;gap:.4rem 1rem;padding:.5rem 1rem;border-bottom:1px solid var(--line);background:var(--panel)}
        header .brand{font-weight:700;margin-right:.5rem}
        header nav ul{display:flex;flex-wrap:wrap;gap:.2rem .8rem;list-style:none;margin:0;padding:0}
        header nav a{text-decoration:none;color:var(--fg);padding:.15rem .3rem;border-radius:4px}
        header nav a[aria-current=page]{background:var(--chip);font-weight:600}
        header .who{margin-left:auto;display:flex;gap:.6rem;align-items:center;color:var(--muted)}
        main{padding:1rem;max-width:1400px}
        h1{font-size:1.35rem;margin:.2rem 0 .8rem}
        h2{font-size:1.05rem;margin:1.2rem 0 .5rem}
        table{border-collapse:collapse;width:100%;margin:.3rem 0 1rem}
        th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
        th{font-weight:600;color:var(--muted);font-size:.85rem}
        td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
        code,pre{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
        pre{background:var(--panel);border:1px solid var(--line);padding:.6rem;overflow:auto;max-height:24rem;white-space:pre-wrap;word-break:break-all}
        .muted{color:var(--muted)}
        .chip{display:inline-block;padding:0 .45rem;border-radius:999px;background:var(--chip);font-size:.8rem}
        .s-succeeded,.s-closed,.s-ok,.s-inactive{color:var(--ok)}
        .s-queued,.s-scheduled,.s-running,.s-half_open,.s-pending,.s-draining{color:var(--warn)}
        .s-dead,.s-open,.s-firing,.s-failed,.s-offline,.s-err,.s-cancelled{color:var(--bad)}
        form.inline{display:inline}
        button,.button{font:inherit;padding:.25rem .7rem;border:1px solid var(--line);border-radius:6px;background:var(--panel);color:var(--fg);cursor:pointer}
        button.danger{border-color:var(--bad);color:var(--bad)}
        button.primary{border-color:var(--accent);color:var(--accent)}
        input,select{font:inherit;padding:.2rem .4rem;border:1px solid var(--line);border-radius:5px;background:var(--bg);color:var(--fg)}
        .filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin-bottom:.8rem}
        .filters label{display:flex;flex-direction:column;font-size:.8rem;color:var(--muted)}
        .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:1rem}
        .panel{border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem;background:var(--bg)}
        .panel h3{font-size:.95rem;margin:0 0 .4rem}
        .stat{font-size:1.8rem;font-weight:600}
        .notice{padding:.5rem .8rem;border-radius:6px;background:var(--chip);margin-bottom:.8rem}
        .notice.bad{border-left:4px solid var(--bad)}
        .notice.ok{border-left:4px solid var(--ok)}
        svg.chart{width:100%;height:auto;display:block}
        svg.chart .axis{stroke:var(--line);stroke-width:1}
        svg.chart text{fill:var(--muted);font-size:10px}
        .legend{display:flex;flex-wrap:wrap;gap:.2rem .8rem;font-size:.8rem;color:var(--muted)}
        .legend i{display:inline-block;width:.8rem;height:.25rem;margin-right:.25rem;vertical-align:middle}
        .c0{background:#1f77b4}.c1{background:#ff7f0e}.c2{background:#2ca02c}.c3{background:#d62728}.c4{background:#9467bd}.c5{background:#8c564b}.c6{background:#e377c2}.c7{background:#17becf}
        .signin{max-width:28rem;margin:4rem auto}
        .signin input{width:100%}
        dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
        dl.facts dt{color:var(--muted)}
        dl.facts dd{margin:0}
        """

    static let script = """
        "use strict";
        (function () {
          var root = document.documentElement;
          var saved = null;
          try { saved = localStorage.getItem("arbiter-theme"); } catch (e) {}
          if (saved === "light" || saved === "dark") root.setAttribute("data-theme", saved);
          document.addEventListener("click", function (event) {
            var toggle = event.target.closest("[data-theme-toggle]");
            if (!toggle) return;
            var dark = root.getAttribute("data-theme") === "dark" ||
              (!root.getAttribute("data-theme") && window.matchMedia("(prefers-color-scheme: dark)").matches);
            var next = dark ? "light" : "dark";
            root.setAttribute("data-theme", next);
            try { localStorage.setItem("arbiter-theme", next); } catch (e) {}
          });
          document.addEventListener("change", function (event) {
            var form = event.target.closest("form[data-autosubmit]");
            if (form) form.submit();
          });
          var main = document.querySelector("main[data-refresh]");
          if (!main) return;
          var every = parseInt(main.getAttribute("data-refresh"), 10) || 2000;
          var busy = false;
          setInterval(function () {
            if (busy || document.hidden) return;
            if (main.contains(document.activeElement) && document.activeElement !== document.body) return;
            busy = true;
            fetch(location.href, { headers: { "X-Console-Fragment": "1" }, credentials: "same-origin" })
              .then(function (response) {
                if (response.redirected || response.status === 401) { location.reload(); return null; }
                return response.ok ? response.text() : null;
              })
              .then(function (html) { if (html !== null && html !== undefined) main.innerHTML = html; })
              .catch(function () {})
              .then(function () { busy = false; });
          }, every);
        })();
        """
}
