//! Memory bandwidth measured on a machine: each measurement kept, the newest used.

use benchbar_core::bandwidth::MeasuredBandwidth;
use benchbar_core::report::MachineInfo;
use rusqlite::{params, OptionalExtension};

use crate::{Result, Store};

impl Store {
    /// Stores a bandwidth measurement of `machine`; returns its id.
    pub fn save_bandwidth(
        &mut self,
        machine: &MachineInfo,
        measured: &MeasuredBandwidth,
    ) -> Result<i64> {
        self.conn.execute(
            "INSERT INTO bandwidth (machine_json, measured_at, measured_json) VALUES (?1, ?2, ?3)",
            params![
                serde_json::to_string(machine)?,
                measured.measured_at.to_rfc3339(),
                serde_json::to_string(measured)?
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The newest bandwidth measurement of `machine`, if any.
    pub fn latest_bandwidth(&self, machine: &MachineInfo) -> Result<Option<MeasuredBandwidth>> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT measured_json FROM bandwidth WHERE machine_json = ?1 \
                 ORDER BY measured_at DESC, id DESC LIMIT 1",
                params![serde_json::to_string(machine)?],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match json {
            Some(j) => Some(serde_json::from_str(&j)?),
            None => None,
        })
    }
}
