package dev.mimo.core;

/**
 * Names of the mimo-lsp protocol (docs/protocol.md, mimo_lsp/protocol/__init__.py) that this client uses.
 * Every constant here is checked against the server's JSON Schema by ProtocolDriftTest.
 */
public final class Protocol {
    private Protocol() {}

    /** workspace/executeCommand names; arguments are a list holding ONE object. */
    public static final class Commands {
        private Commands() {}

        public static final String TASK_START = "mimo.task.start";
        public static final String TASK_CANCEL = "mimo.task.cancel";
        public static final String TASK_STATUS = "mimo.task.status";
        public static final String TASK_RESUME = "mimo.task.resume";
        public static final String TASK_EVENTS = "mimo.task.events";
        public static final String INDEX_SEARCH = "mimo.index.search";
        public static final String INDEX_STATUS = "mimo.index.status";
        public static final String CHECKPOINT_LIST = "mimo.checkpoint.list";
        public static final String CHECKPOINT_DIFF = "mimo.checkpoint.diff";
        public static final String CHECKPOINT_RESTORE = "mimo.checkpoint.restore";
        public static final String REVIEW_GET = "mimo.review.get";
        public static final String REVIEW_ACCEPT = "mimo.review.accept";
        public static final String REVIEW_REJECT = "mimo.review.reject";
    }

    /** Server -> client notifications; each carries {taskId, seq, kind}, seq 1, 2, ... per task run. */
    public static final class Notifications {
        private Notifications() {}

        public static final String PLAN = "mimo/task/plan";
        public static final String NODE = "mimo/task/node";
        public static final String STEP = "mimo/task/step";
        public static final String CHECKPOINT = "mimo/task/checkpoint";
        public static final String TOKEN = "mimo/task/token";
        public static final String DONE = "mimo/task/done";
    }

    /** Notification method = this prefix + the event's kind (what mimo.task.events returns). */
    public static final String NOTIFY_PREFIX = "mimo/task/";

    /** Client-side event, never sent by the server: the task's server process died while it ran. */
    public static final String TASK_INTERRUPTED = "mimo/client/interrupted";

    public static boolean isTaskNotification(String method) {
        return method != null && method.startsWith(NOTIFY_PREFIX);
    }

    public static String methodOfKind(String kind) {
        return NOTIFY_PREFIX + kind;
    }
}
