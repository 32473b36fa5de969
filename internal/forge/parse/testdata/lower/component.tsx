import React, { useState } from 'react';
export const App = <T,>({ items }: { items: T[] }) => {
  const [v, setV] = useState<string>('');
  return <Form onSubmit={async (data: Data) => { await invoke('save', data as Payload); }}>{items.length}</Form>;
};
