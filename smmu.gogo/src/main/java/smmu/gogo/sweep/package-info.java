/** The sweep:* commands: run a sweep file on fresh hosts, write CSV, JSON, SVG and PNG, list sweeps. */
package smmu.gogo.sweep;
