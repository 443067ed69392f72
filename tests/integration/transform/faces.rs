//! Faces (`crop=faces`, `fit=facearea` with `faceindex`/`facepad`, `face-blur`, `face-pixel`,
//! `fm=json&faces=1`) on public-domain portraits and photos without faces: the boxes the
//! server reports are where the crops go and what the effects hide; without a face, each
//! falls back to what it would be without faces.

use image::RgbaImage;

use super::pictures::jpeg_with_orientation;
use crate::support::images::{decode, mean_abs_diff};
use crate::support::roots::{Root, fixture};
use crate::support::server::TestServer;

/// A face box as `fm=json&faces=1` reports it: x, y, width, height in the stored pixels.
type FaceBox = (f64, f64, f64, f64);

async fn server() -> (Root, TestServer) {
    let root = Root::new();
    // Stored turned a quarter anticlockwise, EXIF orientation 6: shown upright, it is Grace.
    let grace = decode(&fixture("faces/grace-hopper-512x600.jpg"));
    let turned = image::imageops::rotate270(&grace);
    root.put("grace-o6.jpg", &jpeg_with_orientation(&turned, 6))
        .put_fixture("grace.jpg", "faces/grace-hopper-512x600.jpg")
        .put_fixture("pair.jpg", "faces/pair-556x300.jpg")
        .put_fixture("coffee.jpg", "faces/coffee-600x400.jpg");
    let server = TestServer::serving(&root).await;
    (root, server)
}

async fn faces(server: &TestServer, path: &str) -> Vec<FaceBox> {
    let doc = server
        .get(&format!("{path}?fm=json&faces=1"))
        .await
        .assert_status(200)
        .json();
    let faces = doc["Faces"].as_array().expect("a Faces array").clone();
    faces
        .iter()
        .map(|f| {
            let b = &f["bounds"];
            let n = |k: &str| b[k].as_f64().expect("a number");
            (n("x"), n("y"), n("width"), n("height"))
        })
        .collect()
}

async fn png(server: &TestServer, target: &str) -> RgbaImage {
    server.get(target).await.image("png")
}

/// Sum of absolute differences between horizontal neighbours (green channel) in a region:
/// how much fine detail it holds.
fn detail(image: &RgbaImage, (x0, y0, x1, y1): (u32, u32, u32, u32)) -> u64 {
    let mut sum = 0;
    for y in y0..y1 {
        for x in x0 + 1..x1 {
            sum += u64::from(image.get_pixel(x, y)[1].abs_diff(image.get_pixel(x - 1, y)[1]));
        }
    }
    sum
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lists_the_faces_found_largest_first() {
    let (_root, server) = server().await;
    // Grace Hopper's face, marked by hand at about (165, 150) 190x180.
    let grace = faces(&server, "/grace.jpg").await;
    assert_eq!(grace.len(), 1, "{grace:?}");
    let (x, y, w, h) = grace[0];
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    assert!(
        (165.0..355.0).contains(&cx) && (150.0..330.0).contains(&cy),
        "{grace:?}"
    );
    assert!((80.0..300.0).contains(&w), "{grace:?}");
    // Two portraits side by side: Grace Hopper's (right, larger) first.
    let pair = faces(&server, "/pair.jpg").await;
    assert_eq!(pair.len(), 2, "{pair:?}");
    assert!(pair[0].0 > 300.0 && pair[1].0 < 300.0, "{pair:?}");
    assert!(pair[0].2 * pair[0].3 >= pair[1].2 * pair[1].3, "{pair:?}");
    assert!(faces(&server, "/coffee.jpg").await.is_empty());
    // Without `faces=1`, no face data.
    let plain = server.get("/grace.jpg?fm=json").await.json();
    assert!(plain.get("Faces").is_none(), "{plain}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crop_faces_centres_the_window_on_the_face() {
    let (_root, server) = server().await;
    let (_, fy, _, fh) = faces(&server, "/grace.jpg").await[0];
    // 512x600 to 256x128: a 512x256 window of the source, centred on the face's middle.
    let top = (fy + fh / 2.0 - 128.0).round().clamp(0.0, 344.0) as u32;
    assert!(
        fy >= f64::from(top) && fy + fh <= f64::from(top + 256),
        "face inside"
    );
    let out = png(&server, "/grace.jpg?w=256&h=128&fit=crop&crop=faces&fm=png").await;
    assert_eq!(out.dimensions(), (256, 128));
    let same = png(
        &server,
        &format!("/grace.jpg?rect=0,{top},512,256&w=256&h=128&fit=crop&fm=png"),
    )
    .await;
    let centre = png(&server, "/grace.jpg?w=256&h=128&fit=crop&fm=png").await;
    let (near, far) = (mean_abs_diff(&out, &same), mean_abs_diff(&out, &centre));
    assert!(near < 3.0, "from the window on the face: {near}");
    assert!(far > 3.0 * near.max(1.0), "from the centre crop: {far}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faces_follow_the_exif_orientation() {
    let (_root, server) = server().await;
    let (ux, uy, uw, uh) = faces(&server, "/grace.jpg").await[0];
    // Reported in the stored pixels (600x512): the upright box turned back a quarter.
    let stored = faces(&server, "/grace-o6.jpg").await;
    assert_eq!(stored.len(), 1, "{stored:?}");
    let (sx, sy, sw, sh) = stored[0];
    let want = (uy, 512.0 - ux - uw, uh, uw);
    let off = [(sx, want.0), (sy, want.1), (sw, want.2), (sh, want.3)];
    assert!(
        off.iter().all(|(a, b)| (a - b).abs() <= 12.0),
        "{stored:?} against {want:?}"
    );
    // Rendered upright, the window is centred on that face's middle, shown upright: the
    // same part of Grace as that window of the upright file.
    let top = (sx + sw / 2.0 - 128.0).round().clamp(0.0, 344.0) as u32;
    let turned = png(
        &server,
        "/grace-o6.jpg?w=256&h=128&fit=crop&crop=faces&fm=png",
    )
    .await;
    let same = png(
        &server,
        &format!("/grace.jpg?rect=0,{top},512,256&w=256&h=128&fit=crop&fm=png"),
    )
    .await;
    let diff = mean_abs_diff(&turned, &same);
    assert!(
        diff < 4.0,
        "{diff} (top {top}, {stored:?}, upright {ux},{uy})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fit_facearea_frames_the_chosen_face_with_its_padding() {
    let (_root, server) = server().await;
    let (x, y, w, h) = faces(&server, "/grace.jpg").await[0];
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    for (pad, query) in [(1.0, ""), (1.5, "&facepad=1.5")] {
        // A square: the face box's longer side, times the padding, around its centre.
        let side = w.max(h) * pad;
        let (left, top) = ((cx - side / 2.0).round(), (cy - side / 2.0).round());
        let out = png(
            &server,
            &format!("/grace.jpg?fit=facearea&w=100&h=100{query}&fm=png"),
        )
        .await;
        assert_eq!(out.dimensions(), (100, 100));
        let rect = format!("{left},{top},{0},{0}", side.round());
        let same = png(
            &server,
            &format!("/grace.jpg?rect={rect}&w=100&h=100&fit=crop&fm=png"),
        )
        .await;
        let diff = mean_abs_diff(&out, &same);
        assert!(diff < 4.0, "facepad {pad}: {diff} from the face's square");
    }
    // `faceindex=2`: the second-largest face of the pair, the astronaut's on the left.
    let pair = faces(&server, "/pair.jpg").await;
    let (x, y, w, h) = pair[1];
    let side = w.max(h);
    let (left, top) = (
        (x + w / 2.0 - side / 2.0).round(),
        (y + h / 2.0 - side / 2.0).round(),
    );
    let second = png(
        &server,
        "/pair.jpg?fit=facearea&faceindex=2&w=64&h=64&fm=png",
    )
    .await;
    let same = png(
        &server,
        &format!(
            "/pair.jpg?rect={left},{top},{0},{0}&w=64&h=64&fit=crop&fm=png",
            side.round()
        ),
    )
    .await;
    assert!(mean_abs_diff(&second, &same) < 4.0);
    // There is no third face: a plain crop, as without a face.
    let third = png(
        &server,
        "/pair.jpg?fit=facearea&faceindex=3&w=64&h=64&fm=png",
    )
    .await;
    let cropped = png(&server, "/pair.jpg?fit=crop&w=64&h=64&fm=png").await;
    assert_eq!(third, cropped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn face_blur_removes_the_detail_of_the_face_and_nothing_else() {
    let (_root, server) = server().await;
    let (x, y, w, h) = faces(&server, "/grace.jpg").await[0];
    let plain = png(&server, "/grace.jpg?fm=png").await;
    let face = (x as u32, y as u32, (x + w) as u32, (y + h) as u32);
    // The margin is a quarter of the box's longer side; a pixel more for the rounding.
    let margin = w.max(h) * 0.25 + 2.0;
    let outside = |px: u32, py: u32| {
        let (px, py) = (f64::from(px), f64::from(py));
        px < x - margin || px > x + w + margin || py < y - margin || py > y + h + margin
    };
    for strength in [1, 100] {
        let blurred = png(&server, &format!("/grace.jpg?face-blur={strength}&fm=png")).await;
        let (before, after) = (detail(&plain, face), detail(&blurred, face));
        assert!(
            after * 5 < before,
            "face-blur={strength}: detail {after} of {before}"
        );
        let changed_outside = plain
            .enumerate_pixels()
            .filter(|(px, py, p)| outside(*px, *py) && blurred.get_pixel(*px, *py) != *p)
            .count();
        assert_eq!(changed_outside, 0, "face-blur={strength}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn face_pixel_cuts_the_face_into_blocks() {
    let (_root, server) = server().await;
    let (x, y, w, h) = faces(&server, "/grace.jpg").await[0];
    let face = (x as u32, y as u32, (x + w) as u32, (y + h) as u32);
    let plain = png(&server, "/grace.jpg?fm=png").await;
    for name in ["face-pixel", "face-pixelate"] {
        let blocks = png(&server, &format!("/grace.jpg?{name}=12&fm=png")).await;
        // Inside 12-px blocks, 11 of 12 neighbours across are equal.
        let (mut equal, mut all) = (0, 0);
        for py in face.1..face.3 {
            for px in face.0 + 1..face.2 {
                all += 1;
                if blocks.get_pixel(px, py) == blocks.get_pixel(px - 1, py) {
                    equal += 1;
                }
            }
        }
        assert!(equal * 100 >= all * 88, "{name}: {equal} of {all} equal");
        assert!(detail(&blocks, face) * 3 < detail(&plain, face), "{name}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_face_each_falls_back_to_what_it_would_be_without_faces() {
    let (_root, server) = server().await;
    let same = [
        ("w=200&h=200&fit=crop&crop=faces", "w=200&h=200&fit=crop"),
        (
            "w=200&h=100&fit=crop&crop=faces,bottom,left",
            "w=200&h=100&fit=crop&crop=bottom,left",
        ),
        ("w=150&h=150&fit=facearea&facepad=3", "w=150&h=150&fit=crop"),
        ("face-blur=100", ""),
        ("face-pixel=20&w=300", "w=300"),
    ];
    for (with_faces, without) in same {
        let a = png(&server, &format!("/coffee.jpg?{with_faces}&fm=png")).await;
        let b = png(&server, &format!("/coffee.jpg?{without}&fm=png")).await;
        assert!(a == b, "{with_faces} differs from {without}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_face_values_are_400_naming_the_parameter() {
    let (_root, server) = server().await;
    let cases = [
        ("fit=facearea&faceindex=0", "faceindex"),
        ("fit=facearea&faceindex=two", "faceindex"),
        ("fit=facearea&facepad=-1", "facepad"),
        ("fit=facearea&facepad=0", "facepad"),
        ("face-pixel=101", "face-pixel"),
        ("face-pixelate=-3", "face-pixelate"),
        ("face-blur=500", "face-blur"),
        ("fm=json&faces=yes", "faces"),
        ("crop=faces,middle", "crop"),
    ];
    for (query, name) in cases {
        let message = server
            .get(&format!("/grace.jpg?{query}"))
            .await
            .assert_error(400, "bad_parameter");
        assert!(message.contains(&format!("`{name}`")), "{query}: {message}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn face_parameters_are_in_the_cache_key() {
    let (_root, server) = server().await;
    let urls = [
        "/grace.jpg?w=100&h=100&fit=facearea&fm=png",
        "/grace.jpg?w=100&h=100&fit=facearea&facepad=2&fm=png",
        "/grace.jpg?w=100&h=100&fit=facearea&faceindex=1&fm=png",
        "/grace.jpg?w=100&h=100&fit=crop&crop=faces&fm=png",
        "/grace.jpg?w=100&h=100&fit=crop&crop=faces,top&fm=png",
        "/grace.jpg?face-blur=10&fm=png",
        "/grace.jpg?face-pixel=10&fm=png",
        "/grace.jpg?fm=json&faces=1",
    ];
    for url in urls {
        assert_eq!(
            server.get(url).await.header("x-cache"),
            Some("MISS"),
            "{url}"
        );
    }
    // The same request under another spelling or order is the same entry.
    let again = [
        "/grace.jpg?fm=png&fit=facearea&h=100&w=100&facepad=2",
        "/grace.jpg?face-pixelate=10&fm=png",
        "/grace.jpg?faces=1&fm=json",
    ];
    for url in again {
        assert_eq!(
            server.get(url).await.header("x-cache"),
            Some("HIT"),
            "{url}"
        );
    }
}

/// How many times the server has looked for faces (`pixgate_stage_seconds{stage="faces"}`).
async fn looked(server: &TestServer) -> f64 {
    let series = "pixgate_stage_seconds_count{stage=\"faces\"}";
    server.metric(series).await.unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faces_are_looked_for_once_per_original_and_only_when_needed() {
    let (_root, server) = server().await;
    server.get("/grace.jpg?w=100").await.assert_status(200);
    assert_eq!(
        looked(&server).await,
        0.0,
        "no face parameter, no detection"
    );
    for query in [
        "w=100&h=50&fit=crop&crop=faces",
        "w=80&h=80&fit=facearea",
        "face-blur=30",
        "fm=json&faces=1",
    ] {
        server
            .get(&format!("/grace.jpg?{query}"))
            .await
            .assert_status(200);
    }
    assert_eq!(
        looked(&server).await,
        1.0,
        "four derivatives, one detection"
    );
    server
        .get("/coffee.jpg?face-pixel=9")
        .await
        .assert_status(200);
    assert_eq!(
        looked(&server).await,
        2.0,
        "another original, another detection"
    );
}
