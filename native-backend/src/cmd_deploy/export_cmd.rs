//! `lvslab export SCENARIO --to ipvsadm|keepalived|realserver|sysctl|all [--node NAME]
//! [-o DIR] [--force]`: the design checked first, then the files. Without `-o` a single
//! file is printed as is (pipe it to `ipvsadm -R`); several are printed one after another
//! under `==> NAME <==` headers.

use super::{load_checked, Io, EXIT_REFUSED};
use lvslab_sim::admin::export::{export as export_files, Target};
use std::path::Path;

#[derive(Clone, Debug)]
pub struct ExportArgs {
    pub scenario: String,
    pub to: Target,
    pub node: Option<String>,
    pub out_dir: Option<String>,
    pub force: bool,
}

pub fn export(args: &ExportArgs, io: &mut Io) -> std::io::Result<i32> {
    let Some(sc) = load_checked(&args.scenario, args.force, "export", io)? else {
        return Ok(EXIT_REFUSED);
    };
    let ex = match export_files(&sc, args.to, args.node.as_deref()) {
        Ok(x) => x,
        Err(e) => {
            writeln!(io.err, "lvslab: {e}")?;
            return Ok(EXIT_REFUSED);
        }
    };
    for n in &ex.notes {
        writeln!(io.err, "note: {n}")?;
    }
    match &args.out_dir {
        Some(dir) => {
            let dir = Path::new(dir);
            if let Err(e) = std::fs::create_dir_all(dir) {
                writeln!(io.err, "lvslab: cannot create {}: {e}", dir.display())?;
                return Ok(EXIT_REFUSED);
            }
            for f in &ex.files {
                let path = dir.join(&f.name);
                if let Err(e) = write_file(&path, &f.content, f.executable) {
                    writeln!(io.err, "lvslab: cannot write {}: {e}", path.display())?;
                    return Ok(EXIT_REFUSED);
                }
                writeln!(io.out, "{}", path.display())?;
            }
        }
        None if ex.files.len() == 1 => io.out.write_all(ex.files[0].content.as_bytes())?,
        None => {
            for (i, f) in ex.files.iter().enumerate() {
                if i > 0 {
                    writeln!(io.out)?;
                }
                writeln!(io.out, "==> {} <==", f.name)?;
                io.out.write_all(f.content.as_bytes())?;
            }
        }
    }
    Ok(0)
}

fn write_file(path: &Path, content: &str, executable: bool) -> std::io::Result<()> {
    std::fs::write(path, content)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    Ok(())
}
