"""Settings for agent tasks on the shipped 135M model in the real-model tests."""

# A 135M model on CPU: the long-horizon machinery (retry, replan, goal round) runs, within a small budget.
SMALL_MODEL_CAPS = """[agent]
max_plan_nodes = 4
max_steps_per_node = 4
max_task_steps = 10
node_retries = 1
max_replans = 1
goal_rounds = 1
"""
