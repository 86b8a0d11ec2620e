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

	private final Map<String, Counter> byCall = new LinkedHashMap<>(), byRequest = new LinkedHashMap<>();
	private long async;

	synchronized void record(String call, long roundTrips, long bytes, long nanos, boolean failed) {
		add(byCall, call, roundTrips, bytes, nanos, failed);
	}

	/** One nested request of a call: its round trip alone. */
	synchronized void request(String type, long bytes, long nanos, boolean failed) {
		add(byRequest, type, 1, bytes, nanos, failed);
	}

	private static void add(Map<String, Counter> m, String call, long roundTrips, long bytes, long nanos, boolean failed) {
		Counter c = m.computeIfAbsent(call, k -> new Counter());
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
		List<CallStats> requests = new ArrayList<>();
		for (Map.Entry<String, Counter> e : byRequest.entrySet()) {
			Counter c = e.getValue();
			requests.add(new CallStats(e.getKey(), c.count, c.errors, c.roundTrips, c.bytes, c.nanos, c.maxNanos));
		}
		return new BridgeStats(calls, trips, nanos, async, rows, requests);
	}
}
