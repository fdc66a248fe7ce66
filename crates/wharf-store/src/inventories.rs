//! Inventories: what each scanned platform image contains, stored once per
//! (image, platform) and re-read by every re-evaluation.

use std::io::Read as _;

use sqlx::Row as _;

use crate::{Result, Store, StoreError, dynamic, now};

/// zstd level for stored inventories: fast, and JSON shrinks ~10×.
const LEVEL: i32 = 3;
/// Inventories larger than this once decompressed are refused as corrupt.
const MAX_INVENTORY_BYTES: u64 = 1 << 30;

/// A stored inventory, decompressed.
#[derive(Debug, Clone)]
pub struct StoredInventory {
    /// Row id (findings refer to it).
    pub id: i64,
    /// The tagged manifest digest (an index or an image).
    pub image_digest: String,
    /// Platform (`linux/amd64`; empty for a single-platform image without one).
    pub platform: String,
    /// The platform image's own manifest digest.
    pub manifest_digest: String,
    /// The inventory JSON (`wharf_inventory::Inventory`).
    pub json: Vec<u8>,
}

fn decompress(id: i64, data: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    zstd::stream::read::Decoder::new(data)
        .map_err(|e| StoreError::Compression(id, e))?
        .take(MAX_INVENTORY_BYTES)
        .read_to_end(&mut out)
        .map_err(|e| StoreError::Compression(id, e))?;
    Ok(out)
}

impl Store {
    /// Store (or replace, after a rescan) the inventory of one platform
    /// image, with its package names for the reverse index. Findings keep
    /// pointing at the same row.
    pub async fn put_inventory(
        &self,
        image_digest: &str,
        platform: &str,
        manifest_digest: &str,
        json: &[u8],
        packages: &[(String, String)],
    ) -> Result<i64> {
        let data = zstd::bulk::compress(json, LEVEL).map_err(|e| StoreError::Compression(0, e))?;
        let mut tx = self.pool.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO inventories (image_digest, platform, manifest_digest, data, packages, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (image_digest, platform) DO UPDATE SET manifest_digest = excluded.manifest_digest,
               data = excluded.data, packages = excluded.packages, created_at = excluded.created_at
             RETURNING id",
        )
        .bind(image_digest)
        .bind(platform)
        .bind(manifest_digest)
        .bind(data)
        .bind(i64::try_from(packages.len()).unwrap_or(i64::MAX))
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM inventory_packages WHERE inventory_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let mut keys: Vec<&(String, String)> = packages.iter().collect();
        keys.sort();
        keys.dedup();
        // Multi-row inserts: one statement per 300 packages.
        for chunk in keys.chunks(300) {
            let mut sql = String::from(
                "INSERT INTO inventory_packages (inventory_id, ecosystem, name) VALUES ",
            );
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!("($1, ${}, ${})", 2 * i + 2, 2 * i + 3));
            }
            sql.push_str(" ON CONFLICT DO NOTHING");
            let mut q = sqlx::query(dynamic(sql.clone())).bind(id);
            for (eco, name) in chunk {
                q = q.bind(eco.as_str()).bind(name.as_str());
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// The inventories of one image.
    pub async fn inventories_of(&self, image_digest: &str) -> Result<Vec<StoredInventory>> {
        let rows = sqlx::query(
            "SELECT id, image_digest, platform, manifest_digest, data FROM inventories
             WHERE image_digest = $1 ORDER BY platform",
        )
        .bind(image_digest)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let id: i64 = row.try_get("id")?;
                let data: Vec<u8> = row.try_get("data")?;
                Ok(StoredInventory {
                    id,
                    image_digest: row.try_get("image_digest")?,
                    platform: row.try_get("platform")?,
                    manifest_digest: row.try_get("manifest_digest")?,
                    json: decompress(id, &data)?,
                })
            })
            .collect()
    }

    /// Ids of every stored inventory, ascending.
    pub async fn inventory_ids(&self) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar("SELECT id FROM inventories ORDER BY id")
            .fetch_all(&self.pool)
            .await?)
    }

    /// Ids of the inventories holding any of `packages` ((ecosystem, name)
    /// pairs): the images a feed diff can affect.
    pub async fn inventories_with_packages(
        &self,
        packages: &[(String, String)],
    ) -> Result<Vec<i64>> {
        let mut ids = Vec::new();
        for chunk in packages.chunks(200) {
            let mut sql =
                String::from("SELECT DISTINCT inventory_id FROM inventory_packages WHERE ");
            for i in 0..chunk.len() {
                if i > 0 {
                    sql.push_str(" OR ");
                }
                sql.push_str(&format!(
                    "(ecosystem = ${} AND name = ${})",
                    2 * i + 1,
                    2 * i + 2
                ));
            }
            let mut q = sqlx::query_scalar::<_, i64>(dynamic(sql.clone()));
            for (eco, name) in chunk {
                q = q.bind(eco.as_str()).bind(name.as_str());
            }
            ids.extend(q.fetch_all(&self.pool).await?);
        }
        ids.sort_unstable();
        ids.dedup();
        Ok(ids)
    }

    /// Ids of the inventories with a finding for any of `ids`
    /// (vulnerability ids): the images a known-exploited change affects.
    pub async fn inventories_with_vulnerabilities(&self, ids: &[String]) -> Result<Vec<i64>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(200) {
            let ps: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT DISTINCT inventory_id FROM findings WHERE vulnerability IN ({})",
                ps.join(", ")
            );
            let mut q = sqlx::query_scalar::<_, i64>(dynamic(sql));
            for id in chunk {
                q = q.bind(id.as_str());
            }
            out.extend(q.fetch_all(&self.pool).await?);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// A batch of inventories by id (ascending), decompressed.
    pub async fn inventories_by_id(&self, ids: &[i64]) -> Result<Vec<StoredInventory>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            // Ids are integers we hold, not input: inlined for one round trip.
            let rows = sqlx::query(dynamic(format!(
                "SELECT id, image_digest, platform, manifest_digest, data FROM inventories
                 WHERE id IN ({}) ORDER BY id",
                list.join(",")
            )))
            .fetch_all(&self.pool)
            .await?;
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                let data: Vec<u8> = row.try_get("data")?;
                out.push(StoredInventory {
                    id,
                    image_digest: row.try_get("image_digest")?,
                    platform: row.try_get("platform")?,
                    manifest_digest: row.try_get("manifest_digest")?,
                    json: decompress(id, &data)?,
                });
            }
        }
        Ok(out)
    }
}
