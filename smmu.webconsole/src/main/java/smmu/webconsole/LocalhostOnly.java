package smmu.webconsole;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;

import org.apache.felix.webconsole.spi.SecurityProvider;
import org.osgi.service.component.annotations.Component;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * The console's security provider: requests from the loopback interface are let in without a password
 * (the HTTP service listens on 127.0.0.1 only: org.apache.felix.http.host), anything else is refused with
 * 403. It replaces the console's default basic authentication (admin/admin).
 */
@Component(service = SecurityProvider.class, property = SecurityProvider.PROPERTY_ID + "=smmu.localhost")
public class LocalhostOnly implements SecurityProvider {
	static final Object USER = "localhost";

	@Override
	public Object authenticate(HttpServletRequest req, HttpServletResponse res) {
		if (loopback(req.getRemoteAddr())) {
			return USER;
		}
		try {
			res.sendError(403, "the SMMU console answers the local machine only");
		} catch (IOException e) {
			// the client went away
		}
		return null;
	}

	static boolean loopback(String addr) {
		if (addr == null) {
			return false;
		}
		try {
			return InetAddress.getByName(addr).isLoopbackAddress();
		} catch (UnknownHostException e) {
			return false;
		}
	}

	@Override
	public boolean authorize(Object user, String role) {
		return user == USER;
	}

	@Override
	public void logout(HttpServletRequest req, HttpServletResponse res) {
		// nothing to forget
	}
}
