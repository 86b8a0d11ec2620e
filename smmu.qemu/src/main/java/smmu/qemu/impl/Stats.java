package smmu.qemu.impl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import smmu.qemu.BridgeStats;
import smmu.qemu.BridgeStats.CallStats;

/** The bridge's counters of one QEMU process. Thread-safe. */
final class Stats {
	private static final class Counter {
		long count, errors, roundTrips, bytes, nanos, maxNanos;
	}

	private final Map<String, Counter> byCall = new LinkedHashMap<>();
	private long async;

	synchronized void record(String call, long roundTrips, long bytes, long nanos, boolean failed) {
		Counter c = byCall.computeIfAbsent(call, k -> new Counter());
		c.count++;
		c.errors += failed ? 1 : 0;
		c.roundTrips += roundTrips;
		c.bytes += bytes;
		c.nanos += nanos;
		c.maxNanos = Math.max(c.maxNanos, nanos);
	}

	synchronized void async() {
		async++;
	}

	synchronized BridgeStats snapshot() {
		List<CallStats> rows = new ArrayList<>();
		long calls = 0, trips = 0, nanos = 0;
		for (Map.Entry<String, Counter> e : byCall.entrySet()) {
			Counter c = e.getValue();
			rows.add(new CallStats(e.getKey(), c.count, c.errors, c.roundTrips, c.bytes, c.nanos, c.maxNanos));
			calls += c.count;
			trips += c.roundTrips;
			nanos += c.nanos;
		}
		return new BridgeStats(calls, trips, nanos, async, rows);
	}
}
