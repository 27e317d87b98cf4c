import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { applyEdgeChanges, applyNodeChanges, Background, Controls, MiniMap, ReactFlow } from '@xyflow/react';
import type { Connection, Edge, EdgeChange, Node, NodeChange } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { EmptyState } from '../components/EmptyState';
import { ErrorNotice } from '../components/ErrorNotice';
import { TopologyNode } from '../components/TopologyNode';
import { ViewHeader } from '../components/ViewHeader';
import { act } from '../lib/actions';
import type { NetworkLinks, TopoEdge } from '../lib/topology';
import { attachFromConnection, layoutTopology, planAttach } from '../lib/topology';
import { call, errorText } from '../lib/rpc';
import type { NetworkInfo } from '../../../shared/contract/network.js';
import { confirm } from '../stores/confirm';
import { useResources } from '../stores/resources';
import { toast } from '../stores/toasts';

const NODE_TYPES = { topo: TopologyNode };

/** Every network's uplink and attachments in one `network.list` call; without it, no edges. */
async function readLinks(): Promise<NetworkLinks[]> {
  try {
    const out = await call('network.list', {});
    return out.items.map((n) => ({
      name: n.name,
      type: n.spec.type,
      attachments: n.attachments.map((a) => a.owner),
      noCarrier: n.attachments.filter((a) => a.carrier === false).map((a) => `${a.owner.kind}:${a.owner.name}`),
      ...(n.spec.uplink ? { uplink: n.spec.uplink } : {}),
    }));
  } catch {
    return [];
  }
}

/** Networks, uplinks, VMs and capsules; drag an instance onto a network to attach, delete an edge to detach. */
export function TopologyView() {
  const res = useResources();
  const [links, setLinks] = useState<NetworkLinks[]>([]);
  const reload = useCallback(() => {
    void readLinks().then(setLinks);
  }, []);
  useEffect(reload, [reload, res.fetchedAt]);
  const layout = useMemo(() => layoutTopology(res.items, links), [res.items, links]);
  // Local copies so selection (click a link, then Delete) and measurements flow through xyflow;
  // every new layout from the engine replaces them.
  const [nodes, setNodes] = useState<Node[]>([]);
  const [edges, setEdges] = useState<Edge[]>([]);
  useEffect(() => {
    setNodes(layout.nodes);
    setEdges(layout.edges);
  }, [layout]);
  // While the view pans, its content is one composited layer that moves as a whole: each frame is
  // a translation instead of repainting every node and link (software rendering). Only while
  // panning, so zooming still re-rasters text sharply. A class, not state: no re-render per pan.
  const frame = useRef<HTMLDivElement>(null);
  const onMoveStart = useCallback(() => frame.current?.classList.add('panning'), []);
  const onMoveEnd = useCallback(() => frame.current?.classList.remove('panning'), []);
  const onNodesChange = useCallback((c: NodeChange[]) => setNodes((ns) => applyNodeChanges(c, ns)), []);
  const onEdgesChange = useCallback((c: EdgeChange[]) => setEdges((es) => applyEdgeChanges(c, es)), []);

  const onConnect = useCallback(
    async (c: Connection) => {
      const a = attachFromConnection(c.source, c.target);
      if (!a) {
        toast('warning', 'Not a valid link', 'Drag from a VM or capsule onto a network to attach it.');
        return;
      }
      try {
        // What really connects it: a VM's NIC (hot-plugged when it runs), a capsule's own netns.
        const capsule = a.owner.kind === 'capsule' ? await call('capsule.inspect', { name: a.owner.name, secrets: false }) : undefined;
        const elsewhere = links.filter((l) => l.name !== a.network && l.name !== capsule?.network?.name && l.attachments.some((o) => o.kind === a.owner.kind && o.name === a.owner.name)).length;
        const plan = planAttach(a, capsule, elsewhere);
        if ('refuse' in plan) {
          toast('warning', `${a.owner.name} not attached`, plan.refuse);
          return;
        }
        if (plan.method === 'vm.nic.attach') {
          const r = await call('vm.nic.attach', plan.input);
          if (r.state === 'attached') toast('success', `${a.owner.name} attached to ${a.network}`, 'Hot-plugged into the running VM.');
          else toast('info', `${a.owner.name} attached to ${a.network}: applies at next start`, r.reason ?? 'The VM gets this NIC when it starts next.');
        } else {
          await call('network.attach', plan.input);
          toast('success', `${a.owner.name} attached to ${a.network}`, `Plugged into the capsule as ${plan.input.peer}.`);
        }
        useResources.getState().refetch();
        reload();
      } catch (e) {
        toast('error', `Attaching ${a.owner.name} to ${a.network} failed`, errorText(e));
      }
    },
    [reload, links],
  );
  const onBeforeDelete = useCallback(async ({ edges: gone }: { edges: Edge[] }) => {
    const detachable = (gone as unknown as TopoEdge[]).flatMap((e) => (e.data?.owner ? [{ network: e.data.network, owner: e.data.owner }] : []));
    if (detachable.length === 0) return false;
    const list = detachable.map((e) => `${e.owner.name} from ${e.network}`).join(', ');
    if (!(await confirm({ title: 'Detach?', body: `Detach ${list}. The instance keeps running without that link.`, confirmLabel: 'Detach', danger: true }))) return false;
    for (const e of detachable) {
      // A VM's NIC is unplugged from the running guest first (vm.nic.detach); its first NIC is its definition's.
      if (e.owner.kind === 'vm') await act('vm.nic.detach', { name: e.owner.name, network: e.network }, `${e.owner.name} detached from ${e.network}`);
      else await act('network.detach', e, `${e.owner.name} detached from ${e.network}`);
    }
    reload();
    return false; // the refetched links redraw the graph
  }, [reload]);

  return (
    <>
      <ViewHeader title="Topology" subtitle="Drag from a VM or capsule onto a network to attach; select a link and press Delete or Backspace to detach" />
      {res.error ? (
        <ErrorNotice message={res.error} onRetry={() => void res.fetch()} />
      ) : res.status === 'ready' && layout.nodes.length === 0 ? (
        <EmptyState title="Nothing to draw yet" hint="Create a network and a VM or capsule; they appear here with their links." />
      ) : (
        <div className="topology" data-testid="topology" ref={frame}>
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={NODE_TYPES}
            onNodesChange={onNodesChange}
            onEdgesChange={onEdgesChange}
            onMoveStart={onMoveStart}
            onMoveEnd={onMoveEnd}
            onConnect={(c) => void onConnect(c)}
            onBeforeDelete={onBeforeDelete}
            // What the subtitle promises: either key detaches a selected link (xyflow's default is Backspace only).
            deleteKeyCode={['Delete', 'Backspace']}
            nodesDraggable={false}
            // Mounting/unmounting nodes while panning costs more than keeping a few hundred mounted.
            onlyRenderVisibleElements={nodes.length > 600}
            fitView
            fitViewOptions={{ maxZoom: 1 }}
            minZoom={0.1}
            proOptions={{ hideAttribution: true }}
            colorMode={document.documentElement.dataset.theme === 'tokyo-night-day' ? 'light' : 'dark'}
          >
            {/* The dot pattern repaints on every pan frame (software rendering): small graphs only. */}
            {nodes.length <= 150 && <Background />}
            <Controls />
            {/* The minimap redraws every node on each pan frame: only for small graphs. */}
            {nodes.length <= 150 && <MiniMap pannable zoomable bgColor="var(--bg-alt)" maskColor="rgba(0, 0, 0, 0.25)" nodeColor="var(--accent)" />}
          </ReactFlow>
        </div>
      )}
    </>
  );
}
