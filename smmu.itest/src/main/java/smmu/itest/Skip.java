package smmu.itest;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Skips a test whose set-up is absent, saying why on standard error as well as in the JUnit assumption:
 * the framework's test report keeps no skip message, so without the line CI would show a bare count.
 */
final class Skip {
	private Skip() {
	}

	/** Skips the calling test, with {@code what} and {@code why} on one line, when {@code why} is not null. */
	static void unless(String what, String why) {
		if (why != null) {
			System.err.println("*** SKIPPED " + what + ": " + why + " ***");
		}
		assumeTrue(why == null, () -> what + " skipped: " + why);
	}
}
