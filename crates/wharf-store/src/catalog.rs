//! What discovery found: repositories, tags and the distinct images they
//! point at, and each image's scan state.

use std::collections::{HashMap, HashSet};

use sqlx::Row as _;
use sqlx::any::AnyRow;

use crate::{
    Image, ImagePlatform, Repository, Result, ScanState, Store, StoreError, Tag, dynamic, now,
};

/// A tag as one discovery saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredTag {
    /// Repository name.
    pub repository: String,
    /// Tag name.
    pub tag: String,
    /// Manifest digest.
    pub digest: String,
    /// Newest creation time of its platform images (Unix seconds).
    pub image_created: Option<i64>,
}

/// A distinct manifest as one discovery saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredImage {
    /// Manifest digest.
    pub digest: String,
    /// Media type.
    pub media_type: Option<String>,
    /// `index`, `image` or `artifact`.
    pub kind: Option<String>,
    /// Platform images.
    pub platforms: Vec<ImagePlatform>,
}

/// How a discovered tag compares with what was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagChange {
    /// Not seen before.
    New,
    /// Points at a different digest than before.
    Moved,
    /// Same digest as before.
    Unchanged,
}

fn tag_row(row: &AnyRow) -> Result<Tag> {
    Ok(Tag {
        id: row.try_get("id")?,
        repository_id: row.try_get("repository_id")?,
        repository: row.try_get("repository")?,
        name: row.try_get("name")?,
        digest: row.try_get("digest")?,
        image_created: row.try_get("image_created")?,
        first_seen: row.try_get("first_seen")?,
        updated_at: row.try_get("updated_at")?,
        last_seen: row.try_get("last_seen")?,
    })
}

const TAG_COLUMNS: &str = "t.id, t.repository_id, r.name AS repository, t.name, t.digest, \
    t.image_created, t.first_seen, t.updated_at, t.last_seen";

const IMAGE_COLUMNS: &str =
    "digest, media_type, kind, platforms, first_seen, scan_state, scanned_at, scanner, scan_error";

fn image_row(row: &AnyRow) -> Result<Image> {
    let platforms: String = row.try_get("platforms")?;
    let state: String = row.try_get("scan_state")?;
    Ok(Image {
        digest: row.try_get("digest")?,
        media_type: row.try_get("media_type")?,
        kind: row.try_get("kind")?,
        platforms: serde_json::from_str(&platforms).map_err(StoreError::json("image platforms"))?,
        first_seen: row.try_get("first_seen")?,
        scan_state: ScanState::parse(&state),
        scanned_at: row.try_get("scanned_at")?,
        scanner: row.try_get("scanner")?,
        scan_error: row.try_get("scan_error")?,
        references: Vec::new(),
    })
}

impl Store {
    /// Whether the connector has finished a discovery before (the initial
    /// scope applies only to the first).
    pub async fn has_discovered(&self, connector_id: i64) -> Result<bool> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM repositories WHERE connector_id = $1")
                .bind(connector_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(n > 0)
    }

    /// Store one discovery of a connector in one transaction and say, per
    /// tag (in `tags` order), whether it is new, moved or unchanged.
    /// Repositories in `complete` were listed completely: their tags not
    /// in `tags` were deleted from the registry and are removed here, as
    /// are images no tag points at any more.
    pub async fn record_discovery(
        &self,
        connector_id: i64,
        complete: &[String],
        tags: &[DiscoveredTag],
        images: &[DiscoveredImage],
    ) -> Result<Vec<TagChange>> {
        let t = now();
        let mut tx = self.pool.begin().await?;
        let mut repo_ids: HashMap<&str, i64> = HashMap::new();
        let names = complete
            .iter()
            .map(String::as_str)
            .chain(tags.iter().map(|x| x.repository.as_str()));
        for name in names {
            if repo_ids.contains_key(name) {
                continue;
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO repositories (connector_id, name, first_seen, last_seen) VALUES ($1, $2, $3, $3)
                 ON CONFLICT (connector_id, name) DO UPDATE SET last_seen = excluded.last_seen RETURNING id",
            )
            .bind(connector_id)
            .bind(name)
            .bind(t)
            .fetch_one(&mut *tx)
            .await?;
            repo_ids.insert(name, id);
        }
        for image in images {
            let platforms = serde_json::to_string(&image.platforms)
                .map_err(StoreError::json("image platforms"))?;
            sqlx::query(
                "INSERT INTO images (digest, media_type, kind, platforms, first_seen, scan_state)
                 VALUES ($1, $2, $3, $4, $5, 'discovered')
                 ON CONFLICT (digest) DO UPDATE SET media_type = excluded.media_type,
                   kind = excluded.kind, platforms = excluded.platforms",
            )
            .bind(&image.digest)
            .bind(&image.media_type)
            .bind(&image.kind)
            .bind(platforms)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
        let mut changes = Vec::with_capacity(tags.len());
        for tag in tags {
            let repo = repo_ids[tag.repository.as_str()];
            let before: Option<String> = sqlx::query_scalar(
                "SELECT digest FROM tags WHERE repository_id = $1 AND name = $2",
            )
            .bind(repo)
            .bind(&tag.tag)
            .fetch_optional(&mut *tx)
            .await?;
            let change = match before.as_deref() {
                None => TagChange::New,
                Some(d) if d == tag.digest => TagChange::Unchanged,
                Some(_) => TagChange::Moved,
            };
            sqlx::query(
                "INSERT INTO tags (repository_id, name, digest, image_created, first_seen, updated_at, last_seen)
                 VALUES ($1, $2, $3, $4, $5, $5, $5)
                 ON CONFLICT (repository_id, name) DO UPDATE SET
                   updated_at = CASE WHEN tags.digest = excluded.digest THEN tags.updated_at ELSE excluded.updated_at END,
                   digest = excluded.digest, image_created = excluded.image_created,
                   last_seen = excluded.last_seen",
            )
            .bind(repo)
            .bind(&tag.tag)
            .bind(&tag.digest)
            .bind(tag.image_created)
            .bind(t)
            .execute(&mut *tx)
            .await?;
            changes.push(change);
        }
        // Tags of completely listed repositories that this discovery did
        // not see were deleted from the registry.
        for name in complete {
            let repo = repo_ids[name.as_str()];
            let seen: HashSet<&str> = tags
                .iter()
                .filter(|x| x.repository == *name)
                .map(|x| x.tag.as_str())
                .collect();
            let stored = sqlx::query("SELECT id, name FROM tags WHERE repository_id = $1")
                .bind(repo)
                .fetch_all(&mut *tx)
                .await?;
            for row in &stored {
                let tag: String = row.try_get("name")?;
                if !seen.contains(tag.as_str()) {
                    let id: i64 = row.try_get("id")?;
                    sqlx::query("DELETE FROM tags WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
            }
        }
        tx.commit().await?;
        self.remove_orphan_images().await?;
        Ok(changes)
    }

    /// Remove images no tag points at, with their inventories and findings.
    pub(crate) async fn remove_orphan_images(&self) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let orphan = "SELECT digest FROM images WHERE digest NOT IN (SELECT digest FROM tags)";
        sqlx::query(dynamic(format!(
            "DELETE FROM inventory_packages WHERE inventory_id IN
               (SELECT id FROM inventories WHERE image_digest IN ({orphan}))"
        )))
        .execute(&mut *tx)
        .await?;
        sqlx::query(dynamic(format!(
            "DELETE FROM findings WHERE image_digest IN ({orphan})"
        )))
        .execute(&mut *tx)
        .await?;
        sqlx::query(dynamic(format!(
            "DELETE FROM inventories WHERE image_digest IN ({orphan})"
        )))
        .execute(&mut *tx)
        .await?;
        sqlx::query(dynamic(format!(
            "DELETE FROM images WHERE digest IN ({orphan})"
        )))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Repositories, optionally of one connector, by name.
    pub async fn repositories(&self, connector_id: Option<i64>) -> Result<Vec<Repository>> {
        let rows = sqlx::query(
            "SELECT r.id, r.connector_id, r.name, r.first_seen, r.last_seen,
                    (SELECT COUNT(*) FROM tags t WHERE t.repository_id = r.id) AS tags
             FROM repositories r WHERE ($1 IS NULL OR r.connector_id = $1) ORDER BY r.name, r.id",
        )
        .bind(connector_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Repository {
                    id: row.try_get("id")?,
                    connector_id: row.try_get("connector_id")?,
                    name: row.try_get("name")?,
                    tags: row.try_get("tags")?,
                    first_seen: row.try_get("first_seen")?,
                    last_seen: row.try_get("last_seen")?,
                })
            })
            .collect()
    }

    /// Tags, optionally of one repository, by repository and name.
    pub async fn tags(&self, repository_id: Option<i64>) -> Result<Vec<Tag>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {TAG_COLUMNS} FROM tags t JOIN repositories r ON r.id = t.repository_id
             WHERE ($1 IS NULL OR t.repository_id = $1) ORDER BY r.name, t.name"
        )))
        .bind(repository_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(tag_row).collect()
    }

    /// Tags of one connector.
    pub async fn connector_tags(&self, connector_id: i64) -> Result<Vec<Tag>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {TAG_COLUMNS} FROM tags t JOIN repositories r ON r.id = t.repository_id
             WHERE r.connector_id = $1 ORDER BY r.name, t.name"
        )))
        .bind(connector_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(tag_row).collect()
    }

    /// One image with the references pointing at it.
    pub async fn image(&self, digest: &str) -> Result<Image> {
        let row = sqlx::query(dynamic(format!(
            "SELECT {IMAGE_COLUMNS} FROM images WHERE digest = $1"
        )))
        .bind(digest)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: "image",
            id: digest.to_owned(),
        })?;
        let mut image = image_row(&row)?;
        image.references = sqlx::query_scalar(
            "SELECT DISTINCT r.name || ':' || t.name FROM tags t JOIN repositories r ON r.id = t.repository_id
             WHERE t.digest = $1 ORDER BY 1",
        )
        .bind(digest)
        .fetch_all(&self.pool)
        .await?;
        Ok(image)
    }

    /// Every image, optionally in one scan state, by digest.
    pub async fn images(&self, state: Option<ScanState>) -> Result<Vec<Image>> {
        let rows = sqlx::query(dynamic(format!(
            "SELECT {IMAGE_COLUMNS} FROM images WHERE ($1 IS NULL OR scan_state = $1) ORDER BY digest"
        )))
        .bind(state.map(ScanState::as_str))
        .fetch_all(&self.pool)
        .await?;
        let mut images: Vec<Image> = rows.iter().map(image_row).collect::<Result<_>>()?;
        // Every reference in one query, attached by digest.
        let refs = sqlx::query(
            "SELECT DISTINCT t.digest, r.name || ':' || t.name AS reference
             FROM tags t JOIN repositories r ON r.id = t.repository_id ORDER BY 2",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_digest: HashMap<String, Vec<String>> = HashMap::new();
        for row in &refs {
            by_digest
                .entry(row.try_get("digest")?)
                .or_default()
                .push(row.try_get("reference")?);
        }
        for image in &mut images {
            image.references = by_digest.remove(&image.digest).unwrap_or_default();
        }
        Ok(images)
    }

    /// Set an image's scan state (with the scanner version and error).
    pub async fn set_scan_state(
        &self,
        digest: &str,
        state: ScanState,
        scanner: Option<&str>,
        error: Option<&str>,
    ) -> Result<()> {
        let scanned_at = (state == ScanState::Scanned).then(now);
        sqlx::query(
            "UPDATE images SET scan_state = $1, scan_error = $2,
               scanned_at = COALESCE($3, scanned_at), scanner = COALESCE($4, scanner)
             WHERE digest = $5",
        )
        .bind(state.as_str())
        .bind(error)
        .bind(scanned_at)
        .bind(scanner)
        .bind(digest)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A repository that holds `digest` under `connector_id`, to pull it from.
    pub async fn repository_of(&self, connector_id: i64, digest: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT r.name FROM tags t JOIN repositories r ON r.id = t.repository_id
             WHERE r.connector_id = $1 AND t.digest = $2 ORDER BY r.name LIMIT 1",
        )
        .bind(connector_id)
        .bind(digest)
        .fetch_optional(&self.pool)
        .await?)
    }
}
