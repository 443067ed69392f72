//! Hostile SVG: entity expansion, reference fan-out, deep nesting, text, oversized files and
//! sizes, embedded images past the pixel limit together are a clear 422 (or a small image); scripts stay inert; and nothing an SVG names
//! outside itself is read or fetched — a listener on loopback proves no request arrives, and
//! a red PNG beside the SVG proves no file is drawn.

use std::net::TcpListener;
use std::time::Duration;

use super::{Case, Forbidden, Want, run_table};
use crate::support::forge;
use crate::support::images::{gradient_png, halves_png};
use crate::support::roots::Root;
use crate::support::server::TestServer;

const UNRENDERABLE: Want = Want::Error(422, "unrenderable");
const FAST: Duration = Duration::from_secs(5);
const NS: &str = "xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink'";

fn billion_laughs() -> String {
    let mut dtd = String::from("<!ENTITY l0 'lol'>");
    for i in 1..10 {
        let refs = format!("&l{};", i - 1).repeat(10);
        dtd.push_str(&format!("<!ENTITY l{i} '{refs}'>"));
    }
    format!("<?xml version='1.0'?><!DOCTYPE svg [{dtd}]><svg {NS}><desc>&l9;</desc></svg>")
}

fn use_fan_out() -> String {
    let mut svg =
        format!("<svg {NS} width='10' height='10'><defs><rect id='l0' width='1' height='1'/>");
    for level in 1..=9 {
        svg.push_str(&format!("<g id='l{level}'>"));
        svg.push_str(&format!("<use href='#l{}'/>", level - 1).repeat(10));
        svg.push_str("</g>");
    }
    svg + "</defs><use href='#l9'/></svg>"
}

/// `count` images of a PNG whose header claims 4000x4000 (16 MP each, within the limit
/// alone), drawn as separate elements or as `<use>`s of one.
fn embedded_images(count: usize, by_use: bool) -> String {
    let png = forge::png_claiming(4000, 4000);
    let uri = format!(
        "data:image/png;base64,{}",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, png)
    );
    let image = |id: &str| format!("<image {id} href='{uri}' width='10' height='10'/>");
    let body = if by_use {
        format!(
            "<defs>{}</defs>{}",
            image("id='i'"),
            "<use href='#i'/>".repeat(count)
        )
    } else {
        image("").repeat(count)
    };
    format!("<svg {NS} width='10' height='10'>{body}</svg>")
}

/// Everything that names a resource outside the file: the listener, a file beside the SVG
/// (relative and absolute), and `/etc`.
fn external_references(port: u16, beside: &str) -> String {
    let url = format!("http://127.0.0.1:{port}");
    format!(
        "<?xml version='1.0'?>\
         <!DOCTYPE svg PUBLIC '-//W3C//DTD SVG 1.1//EN' '{url}/svg11.dtd'>\
         <svg {NS} width='40' height='20'>\
         <style>@import url({url}/sheet.css); @font-face {{ src: url({url}/font.woff) }}</style>\
         <rect width='40' height='20' fill='#0000ff'/>\
         <image href='{url}/remote.png' width='40' height='20'/>\
         <image xlink:href='red.png' width='40' height='20'/>\
         <image href='file://{beside}' width='40' height='20'/>\
         <image href='{beside}' width='40' height='20'/>\
         <image href='/etc/hostname' width='40' height='20'/>\
         <use xlink:href='{url}/other.svg#shape'/>\
         <filter id='f'><feImage href='{url}/filter.png'/></filter>\
         <rect width='1' height='1' filter='url(#f)'/>\
         <script>fetch('{url}/script')</script>\
         </svg>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_svg_is_refused_or_drawn_inert_and_nothing_outside_it_is_reached() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let root = Root::new();
    root.put("ok.png", &gradient_png(64, 40));
    root.put(
        "red.png",
        &halves_png(40, 20, [255, 0, 0, 255], [255, 0, 0, 255]),
    );
    let beside = root.path().join("red.png").display().to_string();
    let deep = format!(
        "<svg {NS}>{}{}</svg>",
        "<g>".repeat(100_000),
        "</g>".repeat(100_000)
    );
    let big = format!("<svg {NS}><desc>{}</desc></svg>", "x".repeat(5 << 20));
    let huge = format!(
        "<svg {NS} width='1000000000' height='1000000000'><rect width='100%' height='100%'/></svg>"
    );
    let files = [
        ("laughs.svg", billion_laughs()),
        ("fan-out.svg", use_fan_out()),
        ("deep.svg", deep),
        (
            "text.svg",
            format!("<svg {NS}><text y='10'>hello</text></svg>"),
        ),
        ("big.svg", big),
        (
            "cycle.svg",
            format!("<svg {NS}><g id='a'><use href='#a'/></g></svg>"),
        ),
        ("huge.svg", huge),
        (
            "script.svg",
            format!(
                "<svg {NS} onload='alert(1)' width='8' height='8'><script>alert(2)</script></svg>"
            ),
        ),
        ("external.svg", external_references(port, &beside)),
        ("images.svg", embedded_images(4, false)),
        ("image-uses.svg", embedded_images(4, true)),
    ];
    for (name, text) in &files {
        root.put(name, text.as_bytes());
    }
    let server = TestServer::serving(&root).await;
    let cases = [
        Case::get("entities", "/laughs.svg?w=10", UNRENDERABLE),
        Case::get("use fan-out", "/fan-out.svg?w=10", UNRENDERABLE),
        Case::get("deep nesting", "/deep.svg?w=10", UNRENDERABLE),
        Case::get("text", "/text.svg?w=10", UNRENDERABLE),
        Case::get("5 MiB of SVG", "/big.svg?w=10", UNRENDERABLE),
        Case::get("reference cycle", "/cycle.svg?w=10", UNRENDERABLE),
        Case::get(
            "a billion px a side, drawn small",
            "/huge.svg?w=100",
            Want::Image("png"),
        ),
        Case::get(
            "a billion px a side, at its size",
            "/huge.svg?fm=png",
            Want::Error(400, "bad_parameter"),
        ),
        Case::get("scripts", "/script.svg?w=8", Want::Image("png")),
        Case::get(
            "external references",
            "/external.svg?fm=png",
            Want::Image("png"),
        ),
    ];
    let forbidden = Forbidden::new([root.path().display().to_string()]);
    let replies = run_table(&server, &cases, "/ok.png", &forbidden, FAST).await;
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("an SVG reached the listener: {other:?}"),
    }
    // Drawn without anything from outside: the blue rectangle, no red from the file beside it.
    let drawn = image::load_from_memory(&replies[9].body)
        .unwrap()
        .to_rgba8();
    assert_eq!(drawn.dimensions(), (40, 20));
    assert!(
        drawn.pixels().all(|p| p.0 == [0, 0, 255, 255]),
        "something else was drawn over the blue"
    );
    let small = image::load_from_memory(&replies[6].body).unwrap();
    assert_eq!((small.width(), small.height()), (100, 100));
}
