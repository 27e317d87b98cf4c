import { memo } from 'react';
import { Handle, Position } from '@xyflow/react';
import type { NodeProps } from '@xyflow/react';
import type { TopoNodeData } from '../lib/topology';

const ICON = { uplink: '⏚', network: '⇄', vm: '▣', capsule: '⬡' } as const;

/** Networks take uplinks on the left and attachments on the right; instances connect from their left. */
export const TopologyNode = memo(function TopologyNode({ data }: NodeProps) {
  const d = data as TopoNodeData;
  return (
    <div className={`topo-node topo-${d.kind}`} title={d.reason ?? d.state} data-testid={`topo-${d.kind}-${d.name}`}>
      {d.kind === 'network' && <Handle type="target" id="uplink" position={Position.Left} />}
      {d.kind === 'network' && <Handle type="target" id="attach" position={Position.Right} />}
      {d.kind === 'uplink' && <Handle type="source" position={Position.Right} />}
      {(d.kind === 'vm' || d.kind === 'capsule') && <Handle type="source" position={Position.Left} />}
      <span className="topo-icon" aria-hidden>
        {ICON[d.kind]}
      </span>
      <span className="topo-name">{d.name}</span>
      {d.state && <span className={`topo-state state-${d.state.toLowerCase()}`}>{d.state}</span>}
    </div>
  );
});
