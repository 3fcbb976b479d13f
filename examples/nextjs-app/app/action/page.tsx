import { signMessage } from './actions';

export default function ActionPage() {
  async function submit(formData: FormData) {
    'use server';
    await signMessage(String(formData.get('message') ?? ''));
  }
  return (
    <form action={submit}>
      <input name="message" defaultValue="hello" />
      <button type="submit">sign</button>
    </form>
  );
}
