// The agent's log: plain lines on stderr (stdout is reserved for --print), kept by journald.
export interface AgentLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleAgentLog: AgentLog = {
  info: (message) => console.error(`[fleetmon-agent] ${message}`),
  warn: (message) => console.error(`[fleetmon-agent] warning: ${message}`),
  error: (message) => console.error(`[fleetmon-agent] error: ${message}`),
};
