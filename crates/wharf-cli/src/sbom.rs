//! `wharf sbom`: the package inventory of an image.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use wharf_inventory::{Inventory, SbomOptions};

use crate::exit;
use crate::image_args::ImageArgs;

/// Output formats of `sbom`.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum Format {
    /// A table for people.
    Table,
    /// wharf's versioned inventory JSON (`docs/sbom-json.md`).
    Json,
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// The package inventory (SBOM) of an image.
///
/// IMAGE is a registry reference (`nginx:1.25`, `registry:5000/app@sha256:…`),
/// `oci:DIR[:TAG]` (OCI image layout), `docker-archive:FILE` (`docker save`
/// output) or `dir:PATH` (a root filesystem). Multi-platform images are
/// scanned for every platform unless `--platform` selects one. Each layer is
/// read once; layers already analysed by an earlier run come from the layer
/// cache. Exit codes: 0 done, 2 error.
#[derive(Args, Debug)]
pub(crate) struct SbomArgs {
    #[command(flatten)]
    image: ImageArgs,
    /// Output format.
    #[arg(long, short, value_enum, default_value = "table")]
    format: Format,
    /// Write the output to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// The JSON document: one inventory per platform image.
#[derive(Serialize)]
struct SbomDocument<'a> {
    schema_version: u32,
    source: String,
    images: &'a [Inventory],
}

pub(crate) async fn run(args: SbomArgs) -> anyhow::Result<u8> {
    let (source, inventories) = args.image.inventories(Vec::new()).await?;
    let rendered = match args.format {
        Format::Json => {
            let doc = SbomDocument {
                schema_version: wharf_inventory::INVENTORY_SCHEMA_VERSION,
                source: source.to_string(),
                images: &inventories,
            };
            let mut s = serde_json::to_string_pretty(&doc)?;
            s.push('\n');
            s
        }
        Format::Table => inventories
            .iter()
            .map(render_table)
            .collect::<Vec<_>>()
            .join("\n"),
        Format::Cyclonedx | Format::Spdx => {
            let inv = match inventories.as_slice() {
                [one] => one,
                many => {
                    let platforms: Vec<&str> = many
                        .iter()
                        .filter_map(|i| i.image.platform.as_deref())
                        .collect();
                    anyhow::bail!(
                        "{source} has {} platform images ({}); choose one with --platform for {:?} output",
                        many.len(),
                        platforms.join(", "),
                        args.format
                    );
                }
            };
            let options = SbomOptions::now(env!("CARGO_PKG_VERSION"));
            let doc = if args.format == Format::Cyclonedx {
                wharf_inventory::to_cyclonedx(inv, &options)
            } else {
                wharf_inventory::to_spdx(inv, &options)
            };
            let mut s = serde_json::to_string_pretty(&doc)?;
            s.push('\n');
            s
        }
    };
    crate::write_output(&rendered, args.output.as_deref())?;
    Ok(exit::OK)
}

fn render_table(inv: &Inventory) -> String {
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED);
    t.set_header(["ECOSYSTEM", "NAME", "VERSION", "LAYER", "LOCATION"]);
    let layer_no = |d: &Option<wharf_types::Digest>| {
        d.as_ref()
            .and_then(|d| {
                inv.image
                    .layers
                    .iter()
                    .position(|l| l.digest.as_ref() == Some(d))
            })
            .map_or_else(String::new, |i| (i + 1).to_string())
    };
    for p in &inv.packages {
        t.add_row([
            p.ecosystem.to_string(),
            p.name.clone(),
            p.full_version(),
            layer_no(&p.layer),
            p.locations.join(", "),
        ]);
    }
    let os = inv.os.as_ref().map_or_else(
        || "unknown OS".to_owned(),
        |o| format!("{} {}", o.family, o.version),
    );
    let mut out = format!(
        "{} ({}; {}; {} layers)\n{t}\n{} packages",
        inv.image.source,
        inv.image.platform.as_deref().unwrap_or("no platform"),
        os,
        inv.image.layers.len(),
        inv.packages.len()
    );
    if !inv.diagnostics.is_empty() {
        out.push_str(&format!(
            ", {} files could not be analysed:\n",
            inv.diagnostics.len()
        ));
        for d in &inv.diagnostics {
            out.push_str(&format!("  {} ({}): {}\n", d.path, d.analyzer, d.message));
        }
    } else {
        out.push('\n');
    }
    out
}
