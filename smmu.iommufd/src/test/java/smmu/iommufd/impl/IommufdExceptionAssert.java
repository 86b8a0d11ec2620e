package smmu.iommufd.impl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.function.Executable;

import smmu.iommufd.Errno;
import smmu.iommufd.IommufdException;

final class IommufdExceptionAssert {
	private IommufdExceptionAssert() {}

	static IommufdException errno(Errno errno, Executable call) {
		IommufdException e = assertThrows(IommufdException.class, call);
		assertEquals(errno, e.errno(), e.getMessage());
		return e;
	}
}
