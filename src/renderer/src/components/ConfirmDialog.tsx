import * as Dialog from '@radix-ui/react-dialog';
import { useConfirm } from '../stores/confirm';

/** The one confirmation dialog; views ask through `confirm({...})` and await the answer. */
export function ConfirmDialog() {
  const { request, answer } = useConfirm();
  return (
    <Dialog.Root open={Boolean(request)} onOpenChange={(open) => !open && answer(false)}>
      <Dialog.Portal>
        <Dialog.Overlay className="modal-overlay" />
        <Dialog.Content className="modal" role="alertdialog" data-testid="confirm-dialog">
          <Dialog.Title className="modal-title">{request?.title}</Dialog.Title>
          <Dialog.Description className="modal-description">{request?.body}</Dialog.Description>
          <div className="modal-actions">
            <Dialog.Close asChild>
              <button type="button">Cancel</button>
            </Dialog.Close>
            <button type="button" className={request?.danger ? 'danger' : 'primary'} onClick={() => answer(true)} autoFocus>
              {request?.confirmLabel ?? 'Confirm'}
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
