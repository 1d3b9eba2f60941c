//! Hover on a flagged range: the finding's message and its rule's documentation (the one-line
//! summary and "What it does"), from the diagnostics last published for the document.

use tower_lsp_server::ls_types::{
    Diagnostic, Hover, HoverContents, MarkupContent, MarkupKind, NumberOrString, Position,
};

use crate::convert;
use crate::diagnostics::SOURCE;

/// The hover for `position`, if a brine diagnostic covers it.
pub fn hover(published: &[Diagnostic], position: Position) -> Option<Hover> {
    let covering: Vec<&Diagnostic> = published
        .iter()
        .filter(|d| d.source.as_deref() == Some(SOURCE) && convert::contains(&d.range, position))
        .collect();
    let first = covering.first()?;
    let sections: Vec<String> = covering.iter().map(|d| describe(d)).collect();
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: sections.join("\n\n---\n\n"),
        }),
        range: Some(first.range),
    })
}

fn describe(diagnostic: &Diagnostic) -> String {
    let code = match &diagnostic.code {
        Some(NumberOrString::String(code)) => code.as_str(),
        _ => "",
    };
    match brine_analysis::rule(code) {
        Some(rule) => format!(
            "**{}** `{}`\n\n{}\n\n{}\n\n**What it does.** {}\n\nSee `brine rule {}` for examples and fix safety.",
            rule.code,
            rule.name,
            diagnostic.message,
            rule.short_description(),
            rule.full_description(),
            rule.code
        ),
        None => diagnostic.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp_server::ls_types::Range;

    #[test]
    fn hover_shows_message_and_rule_documentation() {
        let diagnostic = Diagnostic {
            range: Range::new(Position::new(1, 4), Position::new(1, 14)),
            code: Some(NumberOrString::String("BRN102".into())),
            source: Some("brine".into()),
            message: "`torch.load` without `weights_only=True`".into(),
            ..Diagnostic::default()
        };
        let published = [diagnostic];
        let hover = hover(&published, Position::new(1, 14)).unwrap();
        let HoverContents::Markup(markup) = hover.contents else {
            panic!("markdown expected");
        };
        assert!(markup
            .value
            .starts_with("**BRN102** `torch-load-without-weights-only`"));
        assert!(markup.value.contains("without `weights_only=True`"));
        assert!(markup.value.contains("What it does"));
        assert!(markup.value.contains("torch.serialization.load"));
        assert_eq!(super::hover(&published, Position::new(1, 15)), None);
        assert_eq!(super::hover(&published, Position::new(0, 5)), None);
    }
}
