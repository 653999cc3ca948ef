//! [`Report`]: the error type for `main`, which prints sentences instead of a `Debug` dump.

use std::error::Error;
use std::fmt;

/// Any error, printed as its message and then its causes, one a line: return it from `main`.
///
/// `fn main() -> Result<(), Box<dyn Error>>` prints an error's `Debug` form (`Conflict {
/// study: .. }`) when `main` fails; `Result<(), Report>` prints what the error says and why:
///
/// ```text
/// Error: study `fashion` already exists with a different hyperband setting `factor`: stored 3,
/// given 2; pass .overwrite(true) to start afresh or use another project_name
/// ```
///
/// `?` turns any error into a `Report`; [`Report::msg`] makes one from a plain message.
pub struct Report(Box<dyn Error + Send + Sync + 'static>);

impl Report {
    /// A report of a plain message, for checks of a program's own (bad arguments, ...).
    pub fn msg(message: impl fmt::Display) -> Self {
        Report(message.to_string().into())
    }

    /// A report of an already boxed error (what `Box<dyn Error + Send + Sync>` code returns),
    /// keeping its causes.
    pub fn boxed(error: Box<dyn Error + Send + Sync + 'static>) -> Self {
        Report(error)
    }

    /// The error this report prints.
    pub fn error(&self) -> &(dyn Error + Send + Sync + 'static) {
        &*self.0
    }

    /// The messages of the error's causes, outermost first, each said once: a cause whose
    /// text its wrapper already quotes is skipped.
    pub fn causes(&self) -> Vec<String> {
        let mut said = self.0.to_string();
        let mut causes = Vec::new();
        let mut next = self.0.source();
        while let Some(cause) = next {
            let text = cause.to_string();
            if !said.contains(&text) {
                said = text.clone();
                causes.push(text);
            }
            next = cause.source();
        }
        causes
    }
}

impl<E: Error + Send + Sync + 'static> From<E> for Report {
    fn from(error: E) -> Self {
        Report(Box::new(error))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        for cause in self.causes() {
            write!(f, "\n  caused by: {cause}")?;
        }
        Ok(())
    }
}

/// What `main` prints after `Error: `: the same sentences as `Display`.
impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(std::io::Error);
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(f, "could not read the study")
        }
    }
    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn debug_prints_the_message_and_its_causes() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let report = Report::from(Outer(io));
        assert_eq!(
            format!("{report:?}"),
            "could not read the study\n  caused by: no such file"
        );
        assert_eq!(report.causes(), vec!["no such file".to_owned()]);
    }

    #[test]
    fn a_cause_already_quoted_is_said_once() {
        #[derive(Debug)]
        struct Quoting(std::io::Error);
        impl fmt::Display for Quoting {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "storage failed: {}", self.0)
            }
        }
        impl Error for Quoting {
            fn source(&self) -> Option<&(dyn Error + 'static)> {
                Some(&self.0)
            }
        }
        let io = std::io::Error::other("disk full");
        let report = Report::from(Quoting(io));
        assert_eq!(format!("{report:?}"), "storage failed: disk full");
        assert_eq!(
            format!("{:?}", Report::msg("--epochs needs a value")),
            "--epochs needs a value"
        );
    }
}
