package dev.mimo.core.session;

/** The server could not be started or did not answer initialize; the message says why and how to fix it. */
public class ServerStartException extends Exception {
    private static final long serialVersionUID = 1L;

    public ServerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
