//! The Prometheus text format (version 0.0.4): `# HELP` and `# TYPE` once per family, then its
//! samples; label values escaped (`\`, `"`, newline).

use std::fmt::Write;

/// An exposition being written.
#[derive(Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// Starts a family: its help line and type.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
    }

    /// One sample of the current family.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{k}=\"{}\"", escape(v));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", number(value));
    }

    /// [`Exposition::sample`] with owned label values.
    pub fn sample_owned(&mut self, name: &str, labels: &[(&str, String)], value: f64) {
        let borrowed: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.sample(name, &borrowed, value);
    }

    /// The text.
    pub fn finish(self) -> String {
        self.text
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn number(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        x.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_samples_and_escaping() {
        let mut e = Exposition::default();
        e.family("x_seconds", "gauge", "A \\ help\nline.");
        e.sample("x_seconds", &[("model", "a\"b\\c\nd"), ("b", "1")], 0.25);
        e.sample("x_seconds", &[], f64::NAN);
        assert_eq!(
            e.finish(),
            "# HELP x_seconds A \\\\ help\\nline.\n# TYPE x_seconds gauge\n\
             x_seconds{model=\"a\\\"b\\\\c\\nd\",b=\"1\"} 0.25\nx_seconds NaN\n"
        );
    }
}
