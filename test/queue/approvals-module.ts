/** The approval handler a `runstate worker --approvals` child process loads: MCP calls approved, browsers denied. */
export default function approvals(approval: { kind: 'mcp' | 'computer_use' }): 'approve' | 'deny' {
  return approval.kind === 'mcp' ? 'approve' : 'deny';
}
