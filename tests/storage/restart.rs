//! A real PostgreSQL server restart (`pg_ctl restart -m fast`) while three workers search:
//! afterwards nothing is lost, duplicated or left running and the numbers are contiguous
//! (`duress::run` checks it all). The server is a throwaway cluster of this test's own on
//! 127.0.0.1, so restarting it disturbs no other test of this binary; the test is skipped,
//! saying why, where PostgreSQL's server programs are not installed (CI installs them).

use crate::duress::{report, run};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A PostgreSQL cluster in a temporary folder, stopped and removed when dropped.
struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    /// Run the server programs as the `postgres` user (they refuse to run as root).
    as_postgres: bool,
}

/// The folder of PostgreSQL's server programs: Debian's newest, else the one on the path.
fn server_bin() -> Option<PathBuf> {
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    debian.sort();
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    debian
        .into_iter()
        .rev()
        .chain(on_path)
        .find(|d| d.join("initdb").is_file() && d.join("pg_ctl").is_file())
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

impl Cluster {
    /// Creates and starts a cluster on a free port of 127.0.0.1.
    fn start() -> Result<Self, String> {
        let bin = server_bin().ok_or("PostgreSQL's initdb and pg_ctl are not installed")?;
        let uid = Command::new("id")
            .arg("-u")
            .output()
            .map_err(|e| e.to_string())?;
        let as_postgres = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        // Short: the server's socket path must stay under ~100 bytes.
        let dir = std::env::temp_dir().join(format!("tuner-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        if as_postgres {
            let out = Command::new("chown")
                .args(["postgres", &dir.display().to_string()])
                .output()
                .map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(format!(
                    "no `postgres` user to run the server as: {}",
                    text(&out)
                ));
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let cluster = Cluster {
            bin,
            dir,
            port,
            as_postgres,
        };
        let data = cluster.data().display().to_string();
        cluster.run("initdb", &["-D", &data, "-U", "postgres", "--auth=trust"])?;
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {}",
            cluster.port,
            cluster.dir.display()
        );
        cluster.pg_ctl(&["start", "-o", &options])?;
        Ok(cluster)
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn url(&self) -> String {
        format!("postgresql://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Runs one of the server programs (as `postgres` when we are root).
    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let path = self.bin.join(program);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        let out = command.args(args).output().map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!("{program} {args:?} failed: {}", text(&out)));
        }
        Ok(())
    }

    /// `pg_ctl` on this cluster, waiting for it, the server's output in its log (so no pipe
    /// of ours stays open in the server).
    fn pg_ctl(&self, args: &[&str]) -> Result<(), String> {
        let data = self.data().display().to_string();
        let log = self.dir.join("server.log").display().to_string();
        let mut all = vec!["-D", &data, "-l", &log, "-w"];
        all.extend_from_slice(args);
        self.run("pg_ctl", &all)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The number of trials stored so far.
fn created(url: &str, study: &str) -> usize {
    tuner::storage::open(url)
        .and_then(|s| s.trials(study))
        .map_or(0, |t| t.len())
}

/// Waits until the study holds `count` trials.
fn wait_for(url: &str, study: &str, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while created(url, study) < count {
        assert!(
            Instant::now() < deadline,
            "the workers never made {count} trials"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn workers_ride_through_a_postgres_server_restart() {
    let cluster = match Cluster::start() {
        Ok(c) => c,
        Err(why) => {
            assert!(
                std::env::var("CI").is_err(),
                "CI installs PostgreSQL's server (see .ci/run), so this test runs there: {why}"
            );
            let _ = writeln!(
                std::io::stderr(),
                "SKIP workers_ride_through_a_postgres_server_restart: {why}"
            );
            return;
        }
    };
    let url = cluster.url();
    let study = "duress_restart";
    let trials = 150;
    let tally = run(&url, study, 3, trials, |_| {
        // Two restarts, each while the workers are part way through.
        for at in [20, 70] {
            wait_for(&url, study, at);
            cluster
                .pg_ctl(&["restart", "-m", "fast"])
                .unwrap_or_else(|e| panic!("{e}"));
            let after = created(&url, study);
            assert!(
                after < trials as usize,
                "the workers were done ({after} trials) before the restart: nothing was tested"
            );
        }
    });
    report(
        "postgres, the server restarted twice (pg_ctl restart -m fast) under 3 workers",
        &tally,
    );
}
