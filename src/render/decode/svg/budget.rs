//! The work an SVG may ask for, counted on the parsed document before usvg sees it: how deep
//! elements nest (usvg and resvg recurse on it, and each isolated group is a canvas of its
//! own), and how many elements are drawn once every reference is expanded (`<use>`,
//! `href="#…"`, `url(#…)`), which a few kilobytes can make exponential. Also refuses
//! `<text>`: pixgate ships no font stack for SVG, and a drawing without its words is not the
//! image asked for.

use std::collections::HashMap;

use roxmltree::{Document, Node, NodeId};

use super::RenderError;

/// How deep elements may nest.
pub const MAX_DEPTH: usize = 48;
/// Elements drawn, every reference expanded.
pub const MAX_DRAWN: u64 = 100_000;
/// How long a chain of references (each inside the last's target) may be.
const MAX_REFERENCE_CHAIN: usize = 16;

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// Refuses an SVG past a budget, or with text.
pub fn check(doc: &Document) -> Result<(), RenderError> {
    let refuse = |why: String| Err(RenderError::Unrenderable(why));
    let mut ids = HashMap::new();
    let mut styled = Vec::new();
    for node in doc.descendants().filter(Node::is_element) {
        if node.ancestors().nth(MAX_DEPTH + 1).is_some() {
            return refuse(format!("the SVG nests elements more than {MAX_DEPTH} deep"));
        }
        if node.tag_name().namespace() == Some(SVG_NS) {
            match node.tag_name().name() {
                "text" => {
                    return refuse(
                        "the SVG has text (<text>), which pixgate does not draw: convert it to \
                         paths"
                            .into(),
                    );
                }
                "style" => styled.extend(node.text().map(url_targets).unwrap_or_default()),
                _ => {}
            }
        }
        if let Some(id) = node.attribute("id") {
            ids.entry(id).or_insert(node.id());
        }
    }
    let mut count = Count {
        doc,
        ids,
        styled,
        memo: HashMap::new(),
    };
    count.drawn(doc.root_element(), 0).map(|_| ())
}

struct Count<'a, 'input> {
    doc: &'a Document<'input>,
    ids: HashMap<&'a str, NodeId>,
    /// Targets named in `<style>` sheets: any element may be drawn with them.
    styled: Vec<&'a str>,
    /// Elements drawn per subtree; `None` while it is being counted (a cycle).
    memo: HashMap<NodeId, Option<u64>>,
}

impl<'a> Count<'a, '_> {
    /// The elements drawn for `node`: itself, its children, and what it references.
    fn drawn(&mut self, node: Node<'a, '_>, chain: usize) -> Result<u64, RenderError> {
        match self.memo.get(&node.id()) {
            Some(Some(n)) => return Ok(*n),
            Some(None) => {
                return Err(RenderError::Unrenderable(
                    "the SVG has a reference cycle".into(),
                ));
            }
            None => {}
        }
        self.memo.insert(node.id(), None);
        let mut total: u64 = 1;
        for child in node.children().filter(Node::is_element) {
            total = total.saturating_add(self.drawn(child, chain)?);
            self.within_budget(total)?;
        }
        for target in references(node) {
            total = total.saturating_add(self.referenced(node, target, chain)?);
            self.within_budget(total)?;
        }
        // A sheet's `url(#…)` may style any element, its own target's insides included: those
        // are not drawn again inside themselves, so they are skipped rather than refused.
        for i in 0..self.styled.len() {
            let target = self.styled[i];
            let busy = self
                .ids
                .get(target)
                .is_some_and(|id| matches!(self.memo.get(id), Some(None)));
            if !busy {
                total = total.saturating_add(self.referenced(node, target, chain)?);
                self.within_budget(total)?;
            }
        }
        self.memo.insert(node.id(), Some(total));
        Ok(total)
    }

    /// The elements drawn for `node`'s reference to `target`; 0 for an unknown id.
    fn referenced(
        &mut self,
        node: Node<'a, '_>,
        target: &str,
        chain: usize,
    ) -> Result<u64, RenderError> {
        let Some(&id) = self.ids.get(target) else {
            return Ok(0);
        };
        if chain >= MAX_REFERENCE_CHAIN {
            return Err(RenderError::Unrenderable(format!(
                "the SVG chains more than {MAX_REFERENCE_CHAIN} references"
            )));
        }
        let Some(target) = self.doc.get_node(id) else {
            return Ok(0);
        };
        // A reference to its own ancestor would draw the element inside itself.
        if node.ancestors().any(|a| a.id() == id) {
            return Err(RenderError::Unrenderable(
                "the SVG has a reference cycle".into(),
            ));
        }
        self.drawn(target, chain + 1)
    }

    fn within_budget(&self, drawn: u64) -> Result<(), RenderError> {
        if drawn > MAX_DRAWN {
            return Err(RenderError::Unrenderable(format!(
                "the SVG draws more than {MAX_DRAWN} elements once its references are expanded"
            )));
        }
        Ok(())
    }
}

/// The ids an element refers to: `href`/`xlink:href="#id"` and `url(#id)` in any attribute.
fn references<'a>(node: Node<'a, '_>) -> impl Iterator<Item = &'a str> {
    node.attributes().flat_map(|a| {
        let value = a.value();
        let href = (a.name() == "href")
            .then(|| value.trim().strip_prefix('#'))
            .flatten();
        href.into_iter().chain(url_targets(value))
    })
}

/// The ids in `url(#id)` forms of a CSS or attribute value.
fn url_targets(value: &str) -> Vec<&str> {
    value
        .split("url(")
        .skip(1)
        .filter_map(|rest| {
            let inner = rest.split(')').next()?.trim().trim_matches(['"', '\'']);
            inner.strip_prefix('#')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{MAX_DRAWN, check, url_targets};
    use crate::render::RenderError;

    fn checked(svg: &str) -> Result<(), RenderError> {
        let options = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        };
        check(&roxmltree::Document::parse_with_options(svg, options).unwrap())
    }

    fn refused(svg: &str) -> String {
        match checked(svg) {
            Err(RenderError::Unrenderable(why)) => why,
            other => panic!("not refused: {other:?}"),
        }
    }

    const NS: &str = "xmlns='http://www.w3.org/2000/svg' xmlns:x='http://www.w3.org/1999/xlink'";

    #[test]
    fn an_ordinary_drawing_with_references_passes() {
        let svg = format!(
            "<svg {NS}><defs><linearGradient id='g'><stop/><stop/></linearGradient>\
             <circle id='c' r='5' fill='url(#g)'/></defs><use x:href='#c'/><use href='#c'/>\
             <rect style='fill: url(&quot;#g&quot;)'/></svg>"
        );
        checked(&svg).unwrap();
    }

    #[test]
    fn exponential_use_fan_out_is_refused() {
        // Ten levels of ten references: 10^10 elements drawn from a few kilobytes.
        let mut svg = format!("<svg {NS}><defs><rect id='l0' width='1' height='1'/>");
        for level in 1..=10 {
            svg.push_str(&format!("<g id='l{level}'>"));
            for _ in 0..10 {
                svg.push_str(&format!("<use href='#l{}'/>", level - 1));
            }
            svg.push_str("</g>");
        }
        svg.push_str("</defs><use href='#l10'/></svg>");
        assert!(refused(&svg).contains(&MAX_DRAWN.to_string()));
    }

    #[test]
    fn deep_nesting_cycles_and_text_are_refused() {
        let deep = format!("<svg {NS}>{}{}</svg>", "<g>".repeat(60), "</g>".repeat(60));
        assert!(refused(&deep).contains("deep"));
        let cycle = format!("<svg {NS}><g id='a'><use href='#a'/></g></svg>");
        assert!(refused(&cycle).contains("cycle"));
        let mutual = format!(
            "<svg {NS}><defs><g id='a'><use href='#b'/></g><g id='b'><use href='#a'/></g>\
             </defs><use href='#a'/></svg>"
        );
        assert!(refused(&mutual).contains("cycle"));
        let text = format!("<svg {NS}><text>hi</text></svg>");
        assert!(refused(&text).contains("text"));
    }

    #[test]
    fn url_targets_are_read_from_css_and_attributes() {
        assert_eq!(url_targets("url(#a) url( '#b' ) url(x.png)"), ["a", "b"]);
        assert!(url_targets("none").is_empty());
    }
}
